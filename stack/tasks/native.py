"""Every natively supervised component, one loop: its secrets, dirs, rendered files (stale files
pruned where it owns a dir), a process spec, then the supervised process."""
import io
import json

from pyinfra import host
from pyinfra.facts.files import FindFiles
from pyinfra.operations import files

from vibes_stack.pyinfra_ops import secret_file, supervised


def spec_path(comp, doc):
    return f"{doc['run_dir']}/{comp['name']}.json"


def deploy(comp, doc):
    name = comp["name"]
    for secret in comp["secrets"]:  # generated once, never rotated silently
        secret_file(name=f"{name}: secret {secret} (0600)", path=secret)
    for d in comp["dirs"]:
        files.directory(name=f"{name}: directory {d}", path=d, present=True)
    for path, content in sorted(comp["files"].items()):
        files.put(name=f"{name}: {path}", src=io.StringIO(content), dest=path,
                  mode="600" if path in comp["secret_files"] else "644", create_remote_dir=True)
    for owned in comp["pruned_dirs"]:  # e.g. a dropped rule file stops evaluating
        for existing in host.get_fact(FindFiles, path=owned, quote_path=True) or []:
            if existing not in comp["files"]:
                files.file(name=f"{name}: remove stale file {existing}", path=existing, present=False)
    spec = {k: comp[k] for k in ("name", "argv", "env", "cwd", "health_url", "dirs", "config_hash", "health_timeout")
            if k in comp}
    spec.update(run_dir=doc["run_dir"], log=f"{doc['logs_dir']}/{name}.log")
    files.put(name=f"{name}: process spec", src=io.StringIO(json.dumps(spec, indent=2, sort_keys=True) + "\n"),
              dest=spec_path(comp, doc), mode="644", create_remote_dir=True)
    supervised(name=f"{name}: running and healthy", component=name, spec_path=spec_path(comp, doc),
               config_hash=comp["config_hash"], run_dir=doc["run_dir"], python=doc["python"])


def stop(comp, doc):
    supervised(name=f"{comp['name']}: stopped", component=comp["name"], spec_path=spec_path(comp, doc),
               config_hash=comp["config_hash"], run_dir=doc["run_dir"], python=doc["python"], present=False)
