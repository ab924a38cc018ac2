"""One sshd per namespace host: generated keys, a config of its own, a known_hosts the client trusts.

Root may log in by key only (the client key pair is generated per run); each sshd listens on its
host's address alone and keeps its own pid file, host key and log under the run's control dir.
The control dir lives under /run, not /tmp: sshd's StrictModes refuses an authorized_keys file
below a world-writable directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .system import run

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself and insists on an absolute path
PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd refuses to start without it
SSH_PORT = 22


@dataclass(frozen=True)
class ClientKeys:
    """The key pair pyinfra logs in with, and what it trusts."""
    private_key: Path
    authorized_keys: Path
    known_hosts: Path
    ssh_config: Path  # empty on purpose: no ~/.ssh/config reaches the tests


@dataclass(frozen=True)
class SshdFiles:
    config: Path
    host_key: Path
    pid_file: Path
    log: Path


def generate_key(path: Path, comment: str) -> str:
    """A fresh passphrase-less ed25519 key at ``path``; returns the public key line."""
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path.with_suffix(".pub").read_text().strip()


def make_client_keys(control_dir: Path) -> ClientKeys:
    client_dir = control_dir / "client"
    client_dir.mkdir(mode=0o700)
    private_key = client_dir / "id_ed25519"
    public = generate_key(private_key, "vibes-cluster-client")
    authorized_keys = client_dir / "authorized_keys"
    authorized_keys.write_text(public + "\n")
    known_hosts = client_dir / "known_hosts"
    known_hosts.write_text("")
    ssh_config = client_dir / "ssh_config"
    ssh_config.write_text("")
    return ClientKeys(private_key, authorized_keys, known_hosts, ssh_config)


def sshd_config_text(*, address: str, files: SshdFiles, authorized_keys: Path) -> str:
    return "\n".join([
        f"ListenAddress {address}",
        f"Port {SSH_PORT}",
        f"HostKey {files.host_key}",
        f"PidFile {files.pid_file}",
        f"AuthorizedKeysFile {authorized_keys}",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes yes",
        "AllowAgentForwarding no",
        "X11Forwarding no",
        "Subsystem sftp internal-sftp",  # pyinfra uploads files over SFTP
        # pyinfra opens one connection per host at once; a burst of deploys must not be refused
        "MaxStartups 100:30:200",
        "",
    ])


def files_in(host_dir: Path) -> SshdFiles:
    return SshdFiles(config=host_dir / "sshd_config", host_key=host_dir / "ssh_host_ed25519_key",
                     pid_file=host_dir / "sshd.pid", log=host_dir / "sshd.log")


def prepare_sshd(files: SshdFiles, *, name: str, address: str, client: ClientKeys) -> None:
    """Host key and config for one host; its public key is appended to the client's known_hosts."""
    files.config.parent.mkdir(parents=True)
    public = generate_key(files.host_key, f"vibes-cluster-{name}")
    key_type, key_body = public.split()[:2]
    with client.known_hosts.open("a") as fh:  # port 22: plain host patterns, no [addr]:port form
        fh.write(f"{name},{address} {key_type} {key_body}\n")
    files.config.write_text(sshd_config_text(address=address, files=files,
                                              authorized_keys=client.authorized_keys))
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    run([SSHD, "-t", "-f", str(files.config)])  # a bad config fails here, naming sshd's complaint


def sshd_argv(files: SshdFiles) -> list[str]:
    """sshd in the foreground (we own the process), logging to stderr (redirected to its log)."""
    return [SSHD, "-D", "-e", "-f", str(files.config)]
