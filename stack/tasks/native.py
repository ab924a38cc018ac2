"""Every natively supervised component, one loop: its secrets, dirs, rendered files (stale files
pruned where it owns a dir), a process spec; then one operation starts every component that needs it.

The host is read once (``NativeHost``) and each operation decides from its part of that reading. The
supervisor launches each component as soon as those it starts after are healthy and polls every health
check together (start-up takes the longest chain, not the sum); the operation ends when all are healthy,
so a ``--serial`` fleet's next host starts after that.
"""
import json

from pyinfra import host

from vibes_stack.pyinfra_ops import NativeHost, absent_file, directory, rendered_file, secret_file, stopped, supervised
from vibes_stack.supervisor import needed


def spec_path(name, doc):
    return f"{doc['run_dir']}/{name}.json"


def process_spec(comp, doc):
    spec = {k: comp[k] for k in ("name", "argv", "env", "cwd", "health_url", "dirs", "config_hash", "health_timeout",
                                 "after") if k in comp}
    spec.update(run_dir=doc["run_dir"], log=f"{doc['logs_dir']}/{comp['name']}.log")
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def read_host(doc):
    """The ``NativeHost`` fact for everything the document manages on this host."""
    comps = doc["components"]
    request = {"files": sorted({p for c in comps for p in [*c["files"], *c["secrets"], spec_path(c["name"], doc)]}),
               "dirs": sorted({d for c in comps for d in c["dirs"]}),
               "listed": sorted({d for c in comps for d in c["pruned_dirs"]}),
               "run_dir": doc["run_dir"], "components": [c["name"] for c in comps]}
    return host.get_fact(NativeHost, python=doc["python"], request=request)


def deploy_all(doc):
    facts = read_host(doc)
    for comp in doc["components"]:
        deploy(comp, doc, facts)
    launch = [c["name"] for c in doc["components"] if needed(facts["processes"][c["name"]], c["config_hash"])]
    if launch:  # one name per component: a restart of one reads "<name>: running and healthy"
        supervised(name=f"{', '.join(launch)}: running and healthy", components=launch,
                   spec_paths=[spec_path(n, doc) for n in launch], python=doc["python"])


def deploy(comp, doc, facts):
    name = comp["name"]
    for secret in comp["secrets"]:  # generated once, never rotated silently
        secret_file(name=f"{name}: secret {secret} (0600)", path=secret, exists=facts["files"][secret] is not None)
    for d in comp["dirs"]:
        directory(name=f"{name}: directory {d}", path=d, exists=facts["dirs"][d])
    for path, content in sorted(comp["files"].items()):
        rendered_file(name=f"{name}: {path}", path=path, content=content, current=facts["files"][path],
                      mode="600" if path in comp["secret_files"] else "644")
    for owned in comp["pruned_dirs"]:  # e.g. a dropped rule file stops evaluating
        for existing in facts["listed"][owned]:
            if existing not in comp["files"]:
                absent_file(name=f"{name}: remove stale file {existing}", path=existing)
    rendered_file(name=f"{name}: process spec", path=spec_path(name, doc), content=process_spec(comp, doc),
                  mode="644", current=facts["files"][spec_path(name, doc)])


def stop_all(doc):
    facts = read_host(doc)
    for comp in reversed(doc["components"]):
        name = comp["name"]
        stopped(name=f"{name}: stopped", component=name, spec_path=spec_path(name, doc), python=doc["python"],
                running=facts["processes"][name]["running"])
