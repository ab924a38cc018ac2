"""`vibes` console entry point: `vibes observe <command>`."""

from __future__ import annotations

import sys

import click

from vibes_observe.clients import BackendError, Endpoints
from vibes_observe.commands import (alerts, cost, dashboard, export, logs, metrics, status,
                                    traces)


@click.group()
def vibes() -> None:
    """vibes-observe: observability for LLM-agent systems."""


@vibes.group()
@click.option("--prometheus-url", envvar="VIBES_PROMETHEUS_URL", metavar="URL",
              help="Prometheus base URL [env VIBES_PROMETHEUS_URL; default http://127.0.0.1:9090]")
@click.option("--jaeger-url", envvar="VIBES_JAEGER_URL", metavar="URL",
              help="Jaeger query base URL [env VIBES_JAEGER_URL; default http://127.0.0.1:16686]")
@click.option("--alertmanager-url", envvar="VIBES_ALERTMANAGER_URL", metavar="URL",
              help="Alertmanager base URL [env VIBES_ALERTMANAGER_URL; default http://127.0.0.1:9093]")
@click.option("--loki-url", envvar="VIBES_LOKI_URL", metavar="URL",
              help="Loki base URL [env VIBES_LOKI_URL; default http://127.0.0.1:3100, used when it answers]")
@click.option("--log-dir", envvar="VIBES_LOG_DIR", metavar="DIR", type=click.Path(file_okay=False),
              help="Native log store [env VIBES_LOG_DIR; default $VIBES_HOME/data/logs]")
@click.pass_context
def observe(ctx: click.Context, prometheus_url, jaeger_url, alertmanager_url, loki_url, log_dir) -> None:
    """Query what your agents did: logs, traces, metrics, cost, alerts."""
    ctx.ensure_object(dict)
    ctx.obj["endpoints"] = Endpoints.resolve(prometheus=prometheus_url, jaeger=jaeger_url,
                                             alertmanager=alertmanager_url, loki=loki_url,
                                             log_dir=log_dir)


for _command in (logs.logs, traces.traces, metrics.metrics, cost.cost, alerts.alerts,
                 export.export, dashboard.dashboard, status.status):
    observe.add_command(_command)


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
