"""The entry point: lazy command loading, every listed command resolves, shell completion."""

import os
import subprocess
import sys

import click

from vibes_observe import cli


def test_help_imports_no_command_module():
    code = ("import sys; from vibes_observe.cli import main; main(['observe', '--help']); "
            "print(sorted(m for m in sys.modules if m.startswith(('vibes_observe.commands', 'textual', "
            "'vibes_sdk', 'requests'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    for name in cli.COMMANDS:
        assert name in proc.stdout


def test_every_listed_command_resolves():
    ctx = click.Context(cli.observe)
    for name in cli.COMMANDS:
        command = cli.observe.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name


def test_shell_completion_completes_commands():
    env = {**os.environ, "COMP_WORDS": "vibes observe al", "COMP_CWORD": "2", "_VIBES_COMPLETE": "bash_complete"}
    exe = os.path.join(os.path.dirname(sys.executable), "vibes")
    proc = subprocess.run([exe], capture_output=True, text=True, env=env)
    assert proc.stdout.split() == ["plain,alerts"]
