"""compose mode: rendered configs + compose file, then `docker compose up -d` (see tasks docstring)."""
import io

from pyinfra.operations import files, server

from vibes_stack.pyinfra_ops import secret_file


def deploy(doc):
    for secret in doc.get("secrets", []):
        secret_file(name=f"compose: secret {secret}", path=secret)
    for d in doc.get("dirs", []):
        files.directory(name=f"compose: directory {d}", path=d, present=True)
    changed = []
    for path, content in sorted(doc["files"].items()):
        changed.append(files.put(name=f"compose: {path}", src=io.StringIO(content), dest=path,
                                 mode="644", create_remote_dir=True))
    project = f"-p {doc['compose_project']} -f {doc['compose_file']}"
    if doc["action"] == "down":
        server.shell(name="compose: down", commands=[f"docker compose {project} down"])
        return
    # Each service carries a label with its config hash: compose recreates exactly the changed ones.
    server.shell(name="compose: up -d --wait", commands=[f"docker compose {project} up -d --wait --remove-orphans"])
