"""prometheus: config + rule files (stale rule files removed, so a dropped rule stops evaluating)."""
from pyinfra import host
from pyinfra.facts.files import FindFiles
from pyinfra.operations import files

from tasks import _native

stop = _native.stop


def deploy(comp, doc):
    _native.deploy_files(comp, doc)
    rules_dir = comp["rules_dir"]
    wanted = {p for p in comp["files"] if p.startswith(rules_dir + "/")}
    for existing in host.get_fact(FindFiles, path=rules_dir, quote_path=True) or []:
        if existing not in wanted:
            files.file(name=f"prometheus: remove stale rule file {existing}", path=existing, present=False)
    _native.run(comp, doc)
