"""The collector's pricing config, generated from the SDK's price table.

Telemetry that no vibes_sdk saw (OpenLIT, traceloop, the official instrumentations on
plain OpenTelemetry, Node.js/Go/Java agents) is priced in the collector with the same
table (``vibes_sdk/data/prices.json``), the same model-name normalisation
(``vibes_sdk.cost.NORMALIZE_STEPS``) and the same formula (``vibes_sdk.cost.cost_usd``,
term for term, so the float result is identical):

* ``transform/vibes_pricing`` (OTTL, span context) gives every inference span that has
  token usage and no ``vibes.cost.source`` a ``vibes.cost.usd`` (or
  ``vibes.cost.unpriced=true``), ``vibes.cost.source=collector``, the table version and
  the price's ``as_of`` date. Spans vibes_sdk priced carry ``vibes.cost.source=sdk`` and
  pass untouched, so nothing is counted twice.
* ``signal_to_metrics/vibes_cost`` turns exactly those collector-priced spans into the
  SDK's own counters (``vibes.llm.tokens``, ``vibes.llm.cost.usd``,
  ``vibes.llm.unpriced.requests``, same labels), so the CLI, dashboards and budgets need
  no second query path. It runs in its own pipeline before trace sampling.

``python -m vibes_observe.generate`` writes :data:`ARTIFACT`; ``--check`` fails on drift.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import yaml

from vibes_sdk import names as n
from vibes_sdk.cost import NORMALIZE_STEPS, PROVIDER_STEPS, PriceTable, Rates

ARTIFACT = "stack/collector/pricing.yaml"
PROCESSOR = "transform/vibes_pricing"
CONNECTOR = "signal_to_metrics/vibes_cost"

_TMP = "vibes.tmp."
_TMP_KEYS = r"^vibes\.tmp\."
_TRIM = r"^\s+|\s+$"
#: Operations whose spans aggregate their children's usage: never priced themselves.
_NOT_INFERENCE = sorted(n.ALL_OPERATIONS - n.INFERENCE_OPERATIONS)
#: traceloop's workflow/task/agent/tool decorator spans carry this; their LLM spans do not.
_TRACELOOP_SPAN_KIND = "traceloop.span.kind"


def _attr(key: str) -> str:
    return f'attributes[{json.dumps(key)}]'


def _tmp(name: str) -> str:
    return _attr(_TMP + name)


def _num(value: float) -> str:
    """An OTTL float literal (no exponent), exactly the double Python holds."""
    text = format(Decimal(repr(float(value))), "f")
    return text if "." in text else text + ".0"


def _str(value: str) -> str:
    return json.dumps(value)


_NUMERIC_TEXT = r"^[0-9]+(\.[0-9]+)?$"


def _is_number(key: str) -> str:
    """A usable token count: a number, or text holding one (garbage is treated as absent)."""
    a = _attr(key)
    return f"(IsInt({a}) or IsDouble({a}) or (IsString({a}) and IsMatch({a}, {_str(_NUMERIC_TEXT)})))"


_CANDIDATE = _tmp("price") + " == true"


def _candidate_statement() -> str:
    has_tokens = " or ".join(f"{_attr(k)} != nil" for k in (n.GEN_AI_USAGE_INPUT_TOKENS,
                                                            n.GEN_AI_USAGE_OUTPUT_TOKENS))
    not_aggregate = " and ".join(f"{_attr(n.GEN_AI_OPERATION_NAME)} != {_str(op)}" for op in _NOT_INFERENCE)
    return (f"set({_tmp('price')}, true) where {_attr(n.VIBES_COST_SOURCE)} == nil"
            f" and {_attr(n.VIBES_COST_USD)} == nil and {_attr(n.VIBES_COST_UNPRICED)} == nil"
            f" and ({has_tokens}) and {not_aggregate} and {_attr(_TRACELOOP_SPAN_KIND)} == nil")


def _alias_statements() -> list[str]:
    """Older spellings → semconv, on spans no vibes_sdk priced (runs before the candidate test)."""
    out = []
    for key, aliases in n.USAGE_ATTRIBUTE_ALIASES.items():
        for alias in aliases:
            out.append(f"set({_attr(key)}, {_attr(alias)}) where {_attr(n.VIBES_COST_SOURCE)} == nil"
                       f" and {_attr(key)} == nil and {_attr(alias)} != nil")
    return out


def _provider_statement() -> str:
    return (f"set({_attr(n.GEN_AI_PROVIDER_NAME)}, {_attr(n.GEN_AI_SYSTEM)}) where {_CANDIDATE}"
            f" and {_attr(n.GEN_AI_PROVIDER_NAME)} == nil and {_attr(n.GEN_AI_SYSTEM)} != nil")


_TOKENS = {"in": n.GEN_AI_USAGE_INPUT_TOKENS, "out": n.GEN_AI_USAGE_OUTPUT_TOKENS,
           "cr": n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, "cw": n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
           "rs": n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS}


def _token_statements() -> list[str]:
    """Token counts as doubles (missing, garbage or negative → 0), reconciled as
    vibes_sdk.cost.reconcile does (an emitter that counted input without its cached part, or
    output without reasoning, is made consistent; every count at most MAX_TOKENS_PER_VALUE),
    then clamped as cost_usd does. Where reconciling changed a count, the span's semconv
    attribute gets the reconciled value, so the derived token counters agree with the cost."""
    limit = _num(n.MAX_TOKENS_PER_VALUE)
    out = []
    for tmp, key in _TOKENS.items():
        out += [f"set({_tmp(tmp)}, 0.0) where {_CANDIDATE}",
                f"set({_tmp(tmp)}, Double({_attr(key)})) where {_CANDIDATE} and {_is_number(key)}",
                f"set({_tmp(tmp)}, 0.0) where {_CANDIDATE} and ({_tmp(tmp)} == nil or {_tmp(tmp)} < 0.0)",
                f"set({_tmp(tmp)}, {limit}) where {_CANDIDATE} and {_tmp(tmp)} > {limit}"]
    out += [f"set({_tmp('cached')}, {_tmp('cr')} + {_tmp('cw')}) where {_CANDIDATE}",
            f"set({_tmp('in')}, {_tmp('in')} + {_tmp('cached')}) where {_CANDIDATE} and {_tmp('cached')} > {_tmp('in')}",
            f"set({_tmp('in')}, {limit}) where {_CANDIDATE} and {_tmp('in')} > {limit}",
            f"set({_tmp('out')}, {_tmp('out')} + {_tmp('rs')}) where {_CANDIDATE} and {_tmp('rs')} > {_tmp('out')}",
            f"set({_tmp('out')}, {limit}) where {_CANDIDATE} and {_tmp('out')} > {limit}"]
    for tmp, key in _TOKENS.items():  # the counts as counted: reconciled, clamped, numeric
        present = f"{_attr(key)} != nil" if tmp not in ("in", "out") else f"{_tmp(tmp)} > 0.0"
        out.append(f"set({_attr(key)}, Int({_tmp(tmp)})) where {_CANDIDATE} and {present}")
    out += [
            f"set({_tmp('cr')}, {_tmp('in')}) where {_CANDIDATE} and {_tmp('cr')} > {_tmp('in')}",
            f"set({_tmp('room')}, {_tmp('in')} - {_tmp('cr')}) where {_CANDIDATE}",
            f"set({_tmp('cw')}, {_tmp('room')}) where {_CANDIDATE} and {_tmp('cw')} > {_tmp('room')}",
            f"set({_tmp('rs')}, {_tmp('out')}) where {_CANDIDATE} and {_tmp('rs')} > {_tmp('out')}",
            f"set({_tmp('unc')}, {_tmp('in')} - {_tmp('cr')} - {_tmp('cw')}) where {_CANDIDATE}",
            f"set({_tmp('vis')}, {_tmp('out')} - {_tmp('rs')}) where {_CANDIDATE}"]
    return out


def _replay(tmp: str, steps: tuple, when: str) -> list[str]:
    """OTTL for vibes_sdk.cost._apply(steps, name): trim, then each pattern removed n times."""
    out = [f"set({_tmp(tmp)}, {_tmp('raw')}) where {when}",
           f"replace_pattern({_tmp(tmp)}, {_str(_TRIM)}, \"\") where {when}"]
    for pattern, times in steps:
        out += [f"replace_pattern({_tmp(tmp)}, {_str(pattern.pattern)}, \"\") where {when}"] * times
    return out


def _model_statements(table: PriceTable, model_key: str) -> list[str]:
    """PriceTable.lookup in OTTL: the lower-cased name, else provider-stripped, else normalised."""
    when = f"{_CANDIDATE} and {_attr(model_key)} != nil"
    out = [f"set({_tmp('raw')}, ConvertCase({_attr(model_key)}, \"lower\")) where {when}",
           *_replay("stripped", PROVIDER_STEPS, when), *_replay("norm", NORMALIZE_STEPS, when)]
    by_model: dict[str, list[str]] = {}
    for key, price in table.lookup_keys().items():
        by_model.setdefault(price.model, []).append(key)
    for tmp in ("norm", "stripped", "raw"):  # later wins: an exact name first, as in PriceTable.lookup
        for model in sorted(by_model):
            match = " or ".join(f"{_tmp(tmp)} == {_str(k)}" for k in sorted(by_model[model]))
            out.append(f"set({_tmp('key')}, {_str(model)}) where {when} and ({match})")
    return out


def _cost_expression(r: Rates) -> str:
    """cost_usd's sum, same terms in the same order (so the double is identical)."""
    cache_read = r.input if r.cache_read is None else r.cache_read
    cache_write = r.input if r.cache_write is None else r.cache_write
    reasoning = r.output if r.reasoning is None else r.reasoning
    return (f"({_tmp('unc')} * {_num(r.input)} + {_tmp('cr')} * {_num(cache_read)}"
            f" + {_tmp('cw')} * {_num(cache_write)} + {_tmp('vis')} * {_num(r.output)}"
            f" + {_tmp('rs')} * {_num(reasoning)}) / 1000000.0")


def _price_statements(table: PriceTable) -> list[str]:
    out = []
    prices = {p.model: p for p in table.lookup_keys().values()}
    for model in sorted(prices):
        price = prices[model]
        when = f"{_CANDIDATE} and {_tmp('key')} == {_str(model)}"
        out.append(f"set({_attr(n.VIBES_COST_USD)}, {_cost_expression(price.base)}) where {when}")
        for threshold, rates in price.tiers:  # ascending: the highest tier passed wins
            out.append(f"set({_attr(n.VIBES_COST_USD)}, {_cost_expression(rates)}) where {when}"
                       f" and {_tmp('in')} > {_num(threshold)}")
        if price.as_of:
            out.append(f"set({_attr(n.VIBES_COST_PRICE_AS_OF)}, {_str(price.as_of)}) where {when}")
        if price.discounts_cache_reads:
            # no cached-token count from the emitter: nothing is assumed cached, an upper bound
            out.append(f"set({_attr(n.VIBES_COST_UPPER_BOUND)}, true) where {when}"
                       f" and {_attr(n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)} == nil")
    return out


def _final_statements(version: str) -> list[str]:
    return [f"set({_attr(n.VIBES_COST_UNPRICED)}, true) where {_CANDIDATE} and {_attr(n.VIBES_COST_USD)} == nil",
            f"set({_attr(n.VIBES_COST_PRICE_TABLE)}, {_str(version)}) where {_CANDIDATE}"
            f" and {_attr(n.VIBES_COST_USD)} != nil",
            f"set({_attr(n.VIBES_COST_SOURCE)}, {_str(n.COST_SOURCE_COLLECTOR)}) where {_CANDIDATE}",
            f"delete_matching_keys(attributes, {_str(_TMP_KEYS)})"]


def transform_processor(table: PriceTable) -> dict[str, Any]:
    """Three statement groups, each behind conditions tested once per span: a span without usage
    (most of them) costs a few attribute lookups, not one per pricing statement."""
    aliases = [alias for spellings in n.USAGE_ATTRIBUTE_ALIASES.values() for alias in spellings]
    pricing = [_provider_statement(), *_token_statements(),
               *_model_statements(table, n.GEN_AI_REQUEST_MODEL),
               *_model_statements(table, n.GEN_AI_RESPONSE_MODEL),  # wins, as in the SDK
               *_price_statements(table), *_final_statements(table.version)]
    has_tokens = [f"{_attr(k)} != nil" for k in (n.GEN_AI_USAGE_INPUT_TOKENS, n.GEN_AI_USAGE_OUTPUT_TOKENS)]
    return {"error_mode": "ignore", "trace_statements": [
        {"context": "span", "conditions": [f"{_attr(a)} != nil" for a in aliases],
         "statements": _alias_statements()},
        {"context": "span", "conditions": has_tokens, "statements": [_candidate_statement()]},
        {"context": "span", "conditions": [_CANDIDATE], "statements": pricing}]}


def _metric(inst: n.Instrument, condition: str, value: str, extra: list[dict] | None = None) -> dict[str, Any]:
    labels = [{"key": k, "optional": True} for k in n.MODEL_LABELS]
    return {"name": inst.name, "description": inst.description, "unit": inst.unit,
            "conditions": [condition], "attributes": labels + (extra or []),
            "sum": {"value": value, "monotonic": True}}


_TOKEN_TYPES = {n.TOKEN_INPUT: n.GEN_AI_USAGE_INPUT_TOKENS, n.TOKEN_OUTPUT: n.GEN_AI_USAGE_OUTPUT_TOKENS,
                n.TOKEN_CACHE_READ: n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                n.TOKEN_CACHE_CREATION: n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
                n.TOKEN_REASONING: n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS}


def metrics_connector() -> dict[str, Any]:
    priced_here = f"{_attr(n.VIBES_COST_SOURCE)} == {_str(n.COST_SOURCE_COLLECTOR)}"
    spans = [_metric(n.COST, f"{priced_here} and {_attr(n.VIBES_COST_USD)} != nil",
                     f"Double({_attr(n.VIBES_COST_USD)})"),
             _metric(n.UNPRICED_REQUESTS, f"{priced_here} and {_attr(n.VIBES_COST_UNPRICED)} == true", "1")]
    for token_type, key in _TOKEN_TYPES.items():
        spans.append(_metric(n.TOKENS, f"{priced_here} and {_is_number(key)}", f"Int(Double({_attr(key)}))",
                             [{"key": n.GEN_AI_TOKEN_TYPE, "default_value": token_type}]))
    return {"error_mode": "ignore", "spans": spans}


HEADER = ("# GENERATED by `python -m vibes_observe.generate` from vibes_sdk/data/prices.json\n"
          "# (vibes_stack/collector_pricing.py); do not edit. Price table {version}.\n")


def render() -> str:
    """The committed artifact: the processor and connector bodies the collector config includes."""
    table = PriceTable.load()
    body = {"processors": {PROCESSOR: transform_processor(table)},
            "connectors": {CONNECTOR: metrics_connector()}}
    return HEADER.format(version=table.version) + yaml.safe_dump(body, sort_keys=False, width=1_000_000)
