"""What every natively supervised component needs: dirs, rendered files, a process spec, the process."""
import io
import json

from pyinfra.operations import files

from vibes_stack.pyinfra_ops import supervised


def spec_path(comp, doc):
    return f"{doc['run_dir']}/{comp['name']}.json"


def deploy_files(comp, doc):
    name = comp["name"]
    for d in comp["dirs"]:
        files.directory(name=f"{name}: directory {d}", path=d, present=True)
    for path, content in sorted(comp["files"].items()):
        files.put(name=f"{name}: {path}", src=io.StringIO(content), dest=path,
                  mode="600" if path in comp["secret_files"] else "644", create_remote_dir=True)
    spec = {k: comp[k] for k in ("name", "argv", "env", "cwd", "health_url", "dirs", "config_hash")}
    spec.update(run_dir=doc["run_dir"], log=f"{doc['logs_dir']}/{name}.log")
    files.put(name=f"{name}: process spec", src=io.StringIO(json.dumps(spec, indent=2, sort_keys=True) + "\n"),
              dest=spec_path(comp, doc), mode="644", create_remote_dir=True)


def run(comp, doc):
    supervised(name=f"{comp['name']}: running and healthy", component=comp["name"],
               spec_path=spec_path(comp, doc), config_hash=comp["config_hash"],
               run_dir=doc["run_dir"], python=doc["python"])


def deploy(comp, doc):
    deploy_files(comp, doc)
    run(comp, doc)


def stop(comp, doc):
    supervised(name=f"{comp['name']}: stopped", component=comp["name"], spec_path=spec_path(comp, doc),
               config_hash=comp["config_hash"], run_dir=doc["run_dir"], python=doc["python"], present=False)
