"""`make cluster-deps`: the system tools the namespace-host tests need, apt-installed when missing.

Run as root (the tests create network namespaces anyway). Installs only what is missing, after an
`apt-get update`, and fails loudly when a tool is still absent afterwards. Package scripts must not
start Debian's own sshd (it would listen on every interface): while installing, a policy-rc.d
that forbids service starts is put in place unless one already exists.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: tool the tests run → Debian package that ships it
TOOLS = {
    "sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "nft": "nftables",
    "ip": "iproute2",
    "tc": "iproute2",
    "unshare": "util-linux",
}
SBIN_DIRS = ("/usr/sbin", "/sbin")  # sshd and nft live here; a non-login PATH may lack them
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
NO_SERVICE_STARTS = "#!/bin/sh\n# vibes-observe cluster-deps: no service starts while installing\nexit 101\n"


def which(tool: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRS])
    return shutil.which(tool, path=path)


def missing_packages() -> list[str]:
    return sorted({package for tool, package in TOOLS.items() if which(tool) is None})


def apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    placed_policy = not POLICY_RC_D.exists()
    if placed_policy:
        POLICY_RC_D.write_text(NO_SERVICE_STARTS)
        POLICY_RC_D.chmod(0o755)
    try:
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
                       check=True, env=env)
    finally:
        if placed_policy:
            POLICY_RC_D.unlink()


def main() -> int:
    if os.geteuid() != 0:
        print("cluster-deps: must run as root (apt-get, ip netns)", file=sys.stderr)
        return 1
    packages = missing_packages()
    if not packages:
        print("cluster-deps: all present: " + ", ".join(sorted(TOOLS)))
        return 0
    print("cluster-deps: installing " + " ".join(packages))
    try:
        apt_install(packages)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"cluster-deps: apt-get failed: {exc}", file=sys.stderr)
        return 1
    still = [tool for tool in TOOLS if which(tool) is None]
    if still:
        print("cluster-deps: still missing after install: " + ", ".join(still), file=sys.stderr)
        return 1
    print("cluster-deps: installed " + " ".join(packages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
