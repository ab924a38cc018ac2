"""compose mode: secrets, rendered configs + compose file, then `docker compose up -d --wait`
only when a service is missing, stopped or carries an outdated config-hash label."""
import io

from pyinfra.operations import files

from vibes_stack.pyinfra_ops import compose_down, compose_up, secret_file


def deploy(doc):
    if doc["action"] == "down":
        compose_down(name="compose: down", project=doc["compose_project"], compose_file=doc["compose_file"])
        return
    for secret in doc.get("secrets", []):
        secret_file(name=f"compose: secret {secret}", path=secret)
    for d in doc.get("dirs", []):
        files.directory(name=f"compose: directory {d}", path=d, present=True)
    for path, content in sorted(doc["files"].items()):
        # alertmanager.yml may hold webhook URLs / SMTP passwords resolved from *_env: 0600
        mode = "600" if path in doc.get("secret_files", []) else "644"
        files.put(name=f"compose: {path}", src=io.StringIO(content), dest=path, mode=mode, create_remote_dir=True)
    compose_up(name="compose: services up with current config", project=doc["compose_project"],
               compose_file=doc["compose_file"], hashes=doc["service_hashes"])
