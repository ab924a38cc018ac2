"""PromQL built by the CLI: names come from vibes_sdk.names, filters are quoted safely."""

from vibes_observe.queries import measures as q
from vibes_sdk import names as n


def test_dimensions_map_to_the_names_module_labels():
    assert q.DIMENSIONS["model"] == n.prom_label(n.GEN_AI_REQUEST_MODEL)
    assert q.DIMENSIONS["agent"] == n.prom_label(n.GEN_AI_AGENT_NAME)
    assert q.DIMENSIONS["cost_center"] == n.prom_label(n.VIBES_COST_CENTER)
    assert q.DIMENSIONS["service"] == n.PROM_SERVICE_LABEL


def test_matchers_quote_values_and_skip_unset_filters():
    sel = q.matchers({"agent": 'we"ird', "model": None})
    assert sel == '{gen_ai_agent_name="we\\"ird"}'
    assert q.matchers({"agent": None}) == ""
    assert q.matchers({}, 'error_type!=""') == '{error_type!=""}'


def test_window_increase_counts_series_born_inside_the_window():
    expr = q.window_increase(n.COST.prom, 3600, '{job="x"}')
    # growth of series that existed an hour ago, OR the whole value of new series
    assert f'max_over_time({n.COST.prom}{{job="x"}}[3600s]) - {n.COST.prom}{{job="x"}} offset 3600s' in expr
    assert expr.endswith(f'or max_over_time({n.COST.prom}{{job="x"}}[3600s]))')
    assert "increase(" not in expr


def test_cost_and_error_queries_use_instrument_names():
    assert n.COST.prom in q.cost(60, [q.DIMENSIONS["model"]])
    assert q.cost(60, ["gen_ai_request_model"]).startswith("sum by (gen_ai_request_model) (")
    errors = q.errors(60, [], {"agent": "a"})
    assert n.OPERATION_DURATION.prom_count in errors and 'error_type!=""' in errors
    lat = q.latency_quantile(0.95, 60, [], {})
    assert lat.startswith("histogram_quantile(0.95, sum by (le) (") and n.OPERATION_DURATION.prom_bucket in lat
    assert q.tokens(60, [])  .startswith(f"sum by ({q.TOKEN_TYPE_LABEL}) (")
