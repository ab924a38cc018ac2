"""Prices and cost: the shipped price table, model-name normalisation, the counting rules.

Counting rules (GenAI semconv): input tokens INCLUDE cache reads and cache creation;
output tokens INCLUDE reasoning. So

    cost = (input - cache_read - cache_creation) * input_price
         + cache_read * cache_read_price + cache_creation * cache_write_price
         + (output - reasoning) * output_price + reasoning * (reasoning_price or output_price)

all per million tokens. A tier (e.g. long context) applies to the whole request when its
input exceeds the tier threshold. An unknown model has NO cost (None), never 0.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import threading
import time as _time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Mapping, NamedTuple

_PRICE_FIELDS = ("input", "output", "cache_read", "cache_write", "reasoning")


class PriceFileError(ValueError):
    """The price file is malformed; the message names the model and key."""


@dataclass(frozen=True)
class Rates:
    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None


@dataclass(frozen=True)
class Price:
    model: str
    provider: str
    base: Rates
    tiers: tuple[tuple[int, Rates], ...] = ()  # (input tokens above which it applies, rates)
    as_of: str = ""  # date of the provider price the entry was taken from

    @property
    def discounts_cache_reads(self) -> bool:
        """Cached input is cheaper: a cost computed without a cached-token count is an upper bound."""
        return self.base.cache_read is not None and self.base.cache_read < self.base.input

    def rates_for(self, input_tokens: int) -> Rates:
        if not self.tiers:
            return self.base
        chosen = self.base
        for threshold, rates in self.tiers:  # sorted ascending
            if input_tokens > threshold:
                chosen = rates
        return chosen


class Usage(NamedTuple):
    """Token counts of one call, semconv meaning (input includes cache, output includes reasoning)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0


def reconcile(usage: Usage, limit: int = 10**12) -> Usage:
    """Usage that contradicts the counting rules, made consistent by one rule (docs/sdk.md).

    * cache reads + cache creation above the input count: the emitter counted input
      WITHOUT its cached part (Anthropic's own API does), so input becomes the sum;
    * reasoning above the output count: likewise, output becomes output + reasoning;
    * every count at most ``limit`` (``names.MAX_TOKENS_PER_VALUE``).
    Tokens and cost are both computed from the reconciled usage, so they agree.
    """
    inp, out, cr, cc, rs = (min(max(int(v), 0), limit) for v in usage)
    if cr + cc > inp:
        inp = min(inp + cr + cc, limit)
    if rs > out:
        out = min(out + rs, limit)
    return Usage(inp, out, cr, cc, rs)


def cost_usd(price: Price, usage: Usage) -> float:
    r = price.rates_for(usage.input_tokens)
    if not (usage.cache_read_tokens or usage.cache_creation_tokens or usage.reasoning_tokens):
        # the common call: the zero terms below add exactly 0.0, so the result is identical
        return (usage.input_tokens * r.input + usage.output_tokens * r.output) / 1_000_000
    cache_read = min(usage.cache_read_tokens, usage.input_tokens)
    cache_creation = min(usage.cache_creation_tokens, usage.input_tokens - cache_read)
    uncached = usage.input_tokens - cache_read - cache_creation
    reasoning = min(usage.reasoning_tokens, usage.output_tokens)
    visible_output = usage.output_tokens - reasoning
    total = (
        uncached * r.input
        + cache_read * (r.input if r.cache_read is None else r.cache_read)
        + cache_creation * (r.input if r.cache_write is None else r.cache_write)
        + visible_output * r.output
        + reasoning * (r.output if r.reasoning is None else r.reasoning)
    )
    return total / 1_000_000


# ------------------------------------------------------------- normalisation
_PREFIX = re.compile(
    r"^(?:[a-z]{2,4}\.)?"  # bedrock cross-region prefix: us. eu. apac.
    r"(?:openai|anthropic|google|gemini|vertex_ai|vertexai|mistral|mistralai|deepseek|"
    r"deepseek-ai|xai|x-ai|meta|meta-llama|meta_llama|azure|bedrock|together|groq|"
    r"fireworks|models|publishers/google/models)[/.:]"
)
_BEDROCK_SUFFIX = re.compile(r"-v\d+(?::\d+)?$")
_DATE_SUFFIX = re.compile(r"(?:[-@_](?:19|20)\d{2}-?\d{2}-?\d{2}|-\d{4})$")
_VARIANT_SUFFIX = re.compile(r"-(?:latest|instruct-v\d+)$")
#: strip_provider's and normalize_model's steps in order, as (pattern removed, times
#: applied) — the collector's generated pricing config (vibes_stack/collector_pricing.py)
#: replays exactly these.
PROVIDER_STEPS: tuple[tuple[re.Pattern[str], int], ...] = ((_PREFIX, 3),)  # prefixes stack: "bedrock/us.anthropic.…"
NORMALIZE_STEPS: tuple[tuple[re.Pattern[str], int], ...] = PROVIDER_STEPS + (
    (_BEDROCK_SUFFIX, 1), (_DATE_SUFFIX, 1), (_VARIANT_SUFFIX, 1))


def _apply(steps: tuple[tuple[re.Pattern[str], int], ...], name: Any) -> str:
    s = str(name).strip().lower()
    for pattern, times in steps:
        for _ in range(times):
            s = pattern.sub("", s)
    return s


def strip_provider(name: Any) -> str:
    """``openai/gpt-4o-2024-05-13`` → ``gpt-4o-2024-05-13`` (provider/region prefixes only)."""
    return _apply(PROVIDER_STEPS, name)


def normalize_model(name: Any) -> str:
    """``openai/gpt-4o-2024-08-06`` → ``gpt-4o``; ``us.anthropic.claude-3-5-haiku-20241022-v1:0`` → ``claude-3-5-haiku``."""
    return _apply(NORMALIZE_STEPS, name)


# ---------------------------------------------------------------- the table
def table_version(text: str) -> str:
    """``sha256:<12 hex>`` of a price file's text: stamped on every priced span."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _rates(model: str, where: str, raw: Any) -> Rates:
    if not isinstance(raw, Mapping):
        raise PriceFileError(f"{model}.{where}: expected a mapping of prices, got {raw!r}")
    values: dict[str, float | None] = {}
    for key in _PRICE_FIELDS:
        v = raw.get(key)
        if v is None:
            values[key] = None
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise PriceFileError(f"{model}.{where}.{key}={v!r}: expected a non-negative number (USD per 1M tokens)")
        values[key] = float(v)
    if values["input"] is None:
        raise PriceFileError(f"{model}.{where}.input: missing (USD per 1M input tokens)")
    if values["output"] is None:
        values["output"] = 0.0  # embeddings have no output tokens
    return Rates(**values)  # type: ignore[arg-type]


def _parse_entry(model: str, entry: Any) -> tuple[Price, list[str]]:
    if not isinstance(entry, Mapping):
        raise PriceFileError(f"{model}: expected a mapping, got {entry!r}")
    tiers = []
    for i, tier in enumerate(entry.get("tiers") or ()):
        above = tier.get("above_input_tokens") if isinstance(tier, Mapping) else None
        if not isinstance(above, int) or isinstance(above, bool) or above < 0:
            raise PriceFileError(f"{model}.tiers[{i}].above_input_tokens={above!r}: expected a non-negative integer")
        tiers.append((above, _rates(model, f"tiers[{i}]", tier)))
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list):
        raise PriceFileError(f"{model}.aliases={aliases!r}: expected a list of model names")
    price = Price(model=model, provider=str(entry.get("provider", "")),
                  base=_rates(model, "price", entry), tiers=tuple(sorted(tiers, key=lambda t: t[0])),
                  as_of=str(entry.get("as_of", "")))
    return price, [str(a) for a in aliases]


class PriceTable:
    """Model → Price, looked up by normalised name (results cached per raw name)."""

    def __init__(self, models: Mapping[str, Any], version: str = "") -> None:
        #: which table priced a figure (``vibes.cost.price_table``): see :func:`table_version`
        self.version = version
        self._prices: dict[str, Price] = {}
        names: list[tuple[str, Price]] = []
        for model, entry in models.items():
            price, aliases = _parse_entry(model, entry)
            names += [(key, price) for key in [model, *aliases]]
        # Exact names first; a normalised form only where no entry has that exact name, so
        # a dated snapshot priced apart (gpt-4o-2024-05-13) never takes over its alias (gpt-4o).
        for key, price in names:
            self._prices[key.lower()] = price
        for key, price in names:
            self._prices.setdefault(normalize_model(key), price)
        self._cache: dict[str, Price | None] = {}

    @classmethod
    def load(cls, override_file: str | None = None) -> PriceTable:
        """The shipped table, with `override_file` (same JSON shape) merged over it per model."""
        shipped_text = resources.files("vibes_sdk").joinpath("data/prices.json").read_text("utf-8")
        shipped = json.loads(shipped_text)
        models = dict(shipped["models"])
        version = table_version(shipped_text)
        if override_file:
            try:
                with open(override_file, encoding="utf-8") as fh:
                    override = json.load(fh)
            except OSError as exc:
                raise PriceFileError(f"price_file={override_file!r}: cannot read it ({exc.strerror})") from None
            except json.JSONDecodeError as exc:
                raise PriceFileError(f"price_file={override_file!r}: not valid JSON ({exc})") from None
            if not isinstance(override, Mapping) or not isinstance(override.get("models"), Mapping):
                raise PriceFileError(f"price_file={override_file!r}: expected {{\"models\": {{name: prices}}}}")
            models.update(override["models"])
            version += "+" + table_version(json.dumps(override, sort_keys=True))[len("sha256:"):]
        return cls(models, version)

    def lookup(self, model: Any) -> Price | None:
        key = model if isinstance(model, str) else str(model)
        try:
            return self._cache[key]
        except KeyError:
            pass
        price = (self._prices.get(key.lower()) or self._prices.get(strip_provider(key))
                 or self._prices.get(normalize_model(key)))
        if len(self._cache) > 4096:  # bounded: model names come from callers
            self._cache.clear()
        self._cache[key] = price
        return price

    def lookup_keys(self) -> dict[str, Price]:
        """Every name :meth:`lookup` matches exactly (lower-cased and normalised), to its price."""
        return dict(self._prices)

    def cost(self, model: Any, usage: Usage) -> float | None:
        price = self.lookup(model)
        return None if price is None else cost_usd(price, usage)

    def models(self) -> list[str]:
        return sorted({p.model for p in self._prices.values()})


# --------------------------------------------------------------- CostTracker
@dataclass
class SessionTotals:
    """What one open session has spent so far (fed by the same record() as every total)."""

    cost_usd: float = 0.0
    llm_calls: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    _open: int = field(default=0, repr=False, compare=False)  # scopes open with this id


class CostTracker:
    """In-process cost view: totals today / this week / this month / all time, by model, session, agent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_day: dict[_dt.date, float] = {}
        self._by_model: dict[str, float] = {}
        self._by_session: dict[str, float] = {}
        self._by_agent: dict[str, float] = {}
        self._unpriced_calls = 0
        self._day, self._day_checked = _dt.date.today(), 0.0
        # Only sessions open in this process get totals: a session id seen on a call whose
        # session scope lives elsewhere (propagated context) must not grow memory forever.
        self._open_sessions: dict[str, SessionTotals] = {}

    def record(self, cost: float | None, *, model: str | None, session_id: str | None = None,
               agent_name: str | None = None, when: _dt.date | None = None,
               usage: Usage | None = None) -> None:
        day = when or self._today()
        with self._lock:
            totals = self._open_sessions.get(session_id) if session_id and self._open_sessions else None
            if totals is not None:
                totals.llm_calls += 1
                if cost is None:
                    totals.unpriced_calls += 1
                else:
                    totals.cost_usd += cost
                if usage is not None:
                    totals.input_tokens += usage.input_tokens
                    totals.output_tokens += usage.output_tokens
                    totals.cache_read_tokens += usage.cache_read_tokens
                    totals.cache_creation_tokens += usage.cache_creation_tokens
                    totals.reasoning_tokens += usage.reasoning_tokens
            if cost is None:
                self._unpriced_calls += 1
                return
            self._by_day[day] = self._by_day.get(day, 0.0) + cost
            # straight-line, not a loop over (table, key) pairs: this runs on every LLM call
            if model:
                self._by_model[model] = self._by_model.get(model, 0.0) + cost
            if session_id:
                self._by_session[session_id] = self._by_session.get(session_id, 0.0) + cost
            if agent_name:
                self._by_agent[agent_name] = self._by_agent.get(agent_name, 0.0) + cost

    def open_session(self, session_id: str) -> None:
        """Start per-session totals (re-entering an open id shares its totals)."""
        with self._lock:
            totals = self._open_sessions.setdefault(session_id, SessionTotals())
            totals._open += 1

    def close_session(self, session_id: str) -> SessionTotals | None:
        """The session's totals when its last open scope closes (then forgotten), else None."""
        with self._lock:
            totals = self._open_sessions.get(session_id)
            if totals is None:
                return None
            totals._open -= 1
            if totals._open > 0:
                return None
            del self._open_sessions[session_id]
            return totals

    def _today(self) -> _dt.date:
        """date.today(), re-read at most once a second (it is on every LLM call's path)."""
        now = _time.monotonic()
        if now >= self._day_checked:
            self._day, self._day_checked = _dt.date.today(), now + 1.0
        return self._day

    def _sum_days(self, days: Iterable[_dt.date]) -> float:
        return sum(self._by_day.get(d, 0.0) for d in days)

    def today(self) -> float:
        with self._lock:
            return self._by_day.get(_dt.date.today(), 0.0)

    def this_week(self) -> float:
        today = _dt.date.today()
        start = today - _dt.timedelta(days=today.weekday())
        with self._lock:
            return sum(v for d, v in self._by_day.items() if start <= d <= today)

    def this_month(self) -> float:
        today = _dt.date.today()
        with self._lock:
            return sum(v for d, v in self._by_day.items() if (d.year, d.month) == (today.year, today.month))

    def all_time(self) -> float:
        with self._lock:
            return sum(self._by_day.values())

    def by_model(self) -> dict[str, float]:
        with self._lock:
            return dict(self._by_model)

    def by_session(self) -> dict[str, float]:
        with self._lock:
            return dict(self._by_session)

    def by_agent(self) -> dict[str, float]:
        with self._lock:
            return dict(self._by_agent)

    @property
    def unpriced_calls(self) -> int:
        return self._unpriced_calls

    def summary(self) -> dict[str, Any]:
        return {"today": self.today(), "this_week": self.this_week(), "this_month": self.this_month(),
                "all_time": self.all_time(), "by_model": self.by_model(), "by_session": self.by_session(),
                "by_agent": self.by_agent(), "unpriced_calls": self.unpriced_calls}

    def reset(self) -> None:
        with self._lock:
            self._by_day.clear(); self._by_model.clear(); self._by_session.clear(); self._by_agent.clear()
            self._unpriced_calls = 0

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
