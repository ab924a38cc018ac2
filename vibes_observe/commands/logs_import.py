"""`vibes observe logs import`: the old native file store into the log database.

Each line of the store is one OTLP ``ExportLogsServiceRequest`` in OTLP JSON, which the
collector's OTLP/HTTP receiver takes as it is: imported records pass the same processors
and persistent queue as live ones, into whatever the collector exports logs to."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from vibes_observe.clients._http import request
from vibes_observe.clients.endpoints import state_dir
from vibes_observe.clients.logstore import IMPORTED_MARKER, log_files, open_text
from vibes_observe.commands._common import endpoints, err_console

DEFAULT_OTLP = "http://127.0.0.1:4318"


def _records(payload: dict) -> int:
    return sum(len(scope.get("logRecords", [])) for rl in payload.get("resourceLogs", [])
               for scope in rl.get("scopeLogs", []))


@click.command("import")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--otlp-endpoint", envvar="VIBES_OTLP_ENDPOINT", default=DEFAULT_OTLP, show_default=True,
              help="The collector's OTLP/HTTP receiver [env VIBES_OTLP_ENDPOINT].")
@click.option("--token-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="OTLP bearer token (default: $VIBES_HOME/secrets/otlp_token when it exists).")
@click.option("--again", is_flag=True, help="Import a directory that was imported before (duplicates records).")
def import_logs(directory: Path | None, otlp_endpoint: str, token_file: Path | None, again: bool) -> None:
    """Load the old native file store (default: --log-dir) into the log database."""
    directory = directory or endpoints().log_dir
    files = log_files(directory)
    if not files:
        raise click.BadParameter(f"{directory}: no log files to import", param_hint="DIRECTORY")
    if (directory / IMPORTED_MARKER).exists() and not again:
        raise click.BadParameter(f"{directory} was imported already "
                                 f"({(directory / IMPORTED_MARKER).read_text().strip()}); --again imports it twice",
                                 param_hint="DIRECTORY")
    headers = {"Content-Type": "application/json"}
    token = token_file or state_dir() / "secrets" / "otlp_token"
    if token.is_file():
        headers["Authorization"] = f"Bearer {token.read_text().strip()}"
    records = 0
    for path in files:
        with open_text(path) as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    count = _records(json.loads(line))
                except ValueError:
                    err_console.print(f"[yellow]skipped line {number} of {path}: not JSON[/]")
                    continue
                request("collector", otlp_endpoint, "POST", "/v1/logs", data=line.encode(), headers=headers,
                        timeout=60)
                records += count
    (directory / IMPORTED_MARKER).write_text(time.strftime("%Y-%m-%dT%H:%M:%S%z") + f" {records} records\n")
    click.echo(f"imported {records} record(s) from {len(files)} file(s) in {directory} through the collector "
               f"{otlp_endpoint}. Records older than retention.logs are dropped by the log database. "
               f"The files stay where they are: delete them once `vibes observe logs` shows the data.")
