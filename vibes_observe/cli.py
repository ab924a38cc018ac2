"""`vibes` console entry point: `vibes observe <command>`.

Commands load lazily: `vibes observe --help` imports no command module, and each
command imports only what it needs (bench/bench_cli.py measures start-up)."""

from __future__ import annotations

import importlib
import sys

import click

from vibes_observe.clients.endpoints import Endpoints
from vibes_observe.clients.errors import BackendError

#: name → (module:attribute, one-line help shown by --help without importing the module)
COMMANDS = {
    "logs": ("vibes_observe.commands.logs:logs", "What did the agents log? Filter, grep, follow."),
    "traces": ("vibes_observe.commands.traces:traces", "Traces of a session or search; `traces show ID`."),
    "metrics": ("vibes_observe.commands.metrics:metrics", "Requests, errors, latency, tokens, cost by model/agent."),
    "cost": ("vibes_observe.commands.cost:cost", "Cost today/week/month/all, by model, agent, session, user."),
    "alerts": ("vibes_observe.commands.alerts:alerts", "Firing alerts; list/add/remove/test rules; silences."),
    "export": ("vibes_observe.commands.export:export", "Traces, logs or metrics of a window to JSON lines/CSV."),
    "dashboard": ("vibes_observe.commands.dashboard:dashboard", "Live terminal dashboard (Textual)."),
    "status": ("vibes_observe.commands.status:status", "Is each backend reachable?"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when one is run (or completed)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])


@click.group()
def vibes() -> None:
    """vibes-observe: observability for LLM-agent systems."""


@vibes.group(cls=LazyGroup, invoke_without_command=True)
@click.option("--prometheus-url", envvar="VIBES_PROMETHEUS_URL", metavar="URL",
              help="Prometheus base URL [env VIBES_PROMETHEUS_URL; default http://127.0.0.1:9090]")
@click.option("--jaeger-url", envvar="VIBES_JAEGER_URL", metavar="URL",
              help="Jaeger query base URL [env VIBES_JAEGER_URL; default http://127.0.0.1:16686]")
@click.option("--alertmanager-url", envvar="VIBES_ALERTMANAGER_URL", metavar="URL",
              help="Alertmanager base URL [env VIBES_ALERTMANAGER_URL; default http://127.0.0.1:9093]")
@click.option("--loki-url", envvar="VIBES_LOKI_URL", metavar="URL",
              help="Loki base URL [env VIBES_LOKI_URL; default http://127.0.0.1:3100, used when it answers]")
@click.option("--victorialogs-url", envvar="VIBES_VICTORIALOGS_URL", metavar="URL",
              help="VictoriaLogs base URL, the native log database "
                   "[env VIBES_VICTORIALOGS_URL; default http://127.0.0.1:9428]")
@click.option("--log-dir", envvar="VIBES_LOG_DIR", metavar="DIR", type=click.Path(file_okay=False),
              help="The old native file store (OTLP-JSON), for `logs import` "
                   "[env VIBES_LOG_DIR; default $VIBES_HOME/data/logs]")
@click.pass_context
def observe(ctx: click.Context, prometheus_url, jaeger_url, alertmanager_url, loki_url, victorialogs_url,
            log_dir) -> None:
    """Query what your agents did: logs, traces, metrics, cost, alerts.

    Alone, `vibes observe` prints the stack's URLs and whether each answers."""
    ctx.ensure_object(dict)
    ctx.obj["endpoints"] = Endpoints.resolve(prometheus=prometheus_url, jaeger=jaeger_url,
                                             alertmanager=alertmanager_url, loki=loki_url,
                                             victorialogs=victorialogs_url, log_dir=log_dir)
    if ctx.invoked_subcommand is None:
        from vibes_observe.commands.status import overview
        ctx.exit(overview())


def main(argv: list[str] | None = None) -> int:
    try:
        code = vibes.main(args=argv, prog_name="vibes", standalone_mode=False)
    except BackendError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
