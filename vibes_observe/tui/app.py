"""`vibes observe dashboard`: a Textual app over :func:`snapshot.gather`.

Keys: 1/2/3 time range (1h/24h/7d); o/c/a/s view (overview, cost, agents, sessions);
Enter on a session opens its trace tree; r refreshes; q quits. Data is fetched in a
worker thread so the screen never blocks on a slow backend."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import ContentSwitcher, DataTable, Footer, Sparkline, Static, Tree

from vibes_observe.clients import BackendError, Endpoints
from vibes_observe.tui import view
from vibes_observe.tui.snapshot import RANGES, Snapshot, gather

VIEWS = ("overview", "cost", "agents", "sessions")
TILE_IDS = ("requests", "tokens", "cost", "latency", "rates", "active")
#: table id → (panel group whose backend feeds it, title)
TABLES = {"models": ("metrics", "top models"), "tools": ("metrics", "top tools"),
          "alerts": ("alerts", "firing alerts"), "cost-periods": ("metrics", "cost by period"),
          "cost-model": ("metrics", "cost by model"), "cost-agent": ("metrics", "cost by agent"),
          "cost-cost_center": ("metrics", "cost by cost center"), "agent-figures": ("metrics", "agents"),
          "session-list": ("sessions", "sessions (Enter: trace tree)")}


class TraceScreen(ModalScreen):
    """The span trees of one session's traces (Escape closes)."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "close")]

    def __init__(self, endpoints: Endpoints, session: str, since_s: int):
        super().__init__()
        self.endpoints, self.session, self.since_s = endpoints, session, since_s

    def compose(self) -> ComposeResult:
        tree: Tree = Tree(f"session {self.session}", id="trace-tree")
        tree.border_title = f"traces of session {self.session} — Escape closes"
        yield tree

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        from vibes_observe.clients.jaeger import JaegerClient
        from vibes_observe.commands._traces import search
        try:
            traces = search(JaegerClient(self.endpoints.jaeger, timeout=10), session=self.session,
                            since=f"{self.since_s}s", limit=50)
        except BackendError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self.show, traces)

    def show_error(self, reason: str) -> None:
        self.query_one(Tree).root.add_leaf(Text(reason, style="red"))

    def show(self, traces) -> None:
        from vibes_observe.commands._traces import span_label, trace_heading
        tree = self.query_one(Tree)
        for trace in traces:
            node = tree.root.add(Text.from_markup(trace_heading(trace)), expand=True)

            def add(parent, span) -> None:
                child = parent.add(Text.from_markup(span_label(span, trace.start_us)), expand=True)
                for sub in span.children:
                    add(child, sub)

            for root in trace.roots:
                add(node, root)
        tree.root.expand()
        if not traces:
            tree.root.add_leaf("no traces of this session in the time range")


class Dashboard(App):
    CSS = """
    #title { height: 1; padding: 0 1; background: $boost; }
    #tiles { height: 6; }
    .tile { width: 1fr; min-width: 14; height: 6; border: round $primary; padding: 0 1; content-align: center middle; }
    #tile-tokens, #tile-latency, #tile-rates, #tile-active { width: 2fr; }
    #tile-cost { width: 4fr; }
    DataTable { height: 1fr; border: round $primary; }
    #chart-box { height: 7; border: round $primary; }
    #chart { height: 4; }
    .down, .down DataTable { color: $text-disabled; border: round $error-darken-1; background: $panel-darken-1; }
    #reason { color: $error; height: auto; padding: 0 1; }
    Horizontal.row { height: 1fr; }
    #trace-tree { border: round $primary; margin: 1 2; background: $surface; }
    """
    BINDINGS = [
        Binding("1", "range('1h')", "1h"), Binding("2", "range('24h')", "24h"), Binding("3", "range('7d')", "7d"),
        Binding("o", "view('overview')", "overview"), Binding("c", "view('cost')", "cost"),
        Binding("a", "view('agents')", "agents"), Binding("s", "view('sessions')", "sessions"),
        Binding("r", "refresh", "refresh"), Binding("q", "quit", "quit"),
    ]

    def __init__(self, endpoints: Endpoints, *, range_key: str = "1h", interval: float = 5.0,
                 filters: dict[str, str | None] | None = None, source=gather):
        super().__init__()
        self.endpoints, self.range_key, self.interval = endpoints, range_key, interval
        self.source = source  # (endpoints, range key, filters) -> Snapshot
        self.filters = filters or {}
        self.snapshot: Snapshot | None = None
        self.refreshes = 0  # completed data refreshes (tests wait on it)

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static("vibes observe dashboard — loading…", id="title")
        yield Static("", id="reason")
        with Horizontal(id="tiles"):
            for tile in TILE_IDS:
                yield Static("…", id=f"tile-{tile}", classes="tile")
        with ContentSwitcher(initial="overview", id="views"):
            with Vertical(id="overview"):
                with Vertical(id="chart-box"):
                    yield Static("", id="chart-title")
                    yield Sparkline([], id="chart")
                with Horizontal(classes="row"):
                    yield self._table("models")
                    yield self._table("tools")
                yield self._table("alerts")
            with Vertical(id="cost"):
                with Horizontal(classes="row"):
                    yield self._table("cost-periods")
                    yield self._table("cost-cost_center")
                with Horizontal(classes="row"):
                    yield self._table("cost-model")
                    yield self._table("cost-agent")
            with Vertical(id="agents"):
                yield self._table("agent-figures")
            with Vertical(id="sessions"):
                yield self._table("session-list")
        yield Footer()

    def _table(self, table_id: str) -> DataTable:
        table: DataTable = DataTable(id=table_id, zebra_stripes=True, cursor_type="row")
        table.border_title = TABLES[table_id][1]
        return table

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)

    # ---------------------------------------------------------------- actions
    def action_range(self, key: str) -> None:
        self.range_key = key
        self.action_refresh()

    def action_view(self, name: str) -> None:
        self.query_one(ContentSwitcher).current = name
        self._title()

    def action_refresh(self) -> None:
        self.fetch(self.range_key)

    @work(thread=True, exclusive=True, group="fetch")
    def fetch(self, range_key: str) -> None:
        snap = self.source(self.endpoints, range_key, self.filters)
        self.call_from_thread(self.show, snap)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "session-list" and event.row_key.value:
            self.push_screen(TraceScreen(self.endpoints, event.row_key.value, RANGES[self.range_key][0]))

    # ---------------------------------------------------------------- drawing
    def _title(self) -> None:
        current = self.query_one(ContentSwitcher).current
        stamp = "" if self.snapshot is None else " · updated " + _clock(self.snapshot.taken_at)
        scope = "".join(f" · {k}={v}" for k, v in self.filters.items() if v)
        self.query_one("#title", Static).update(
            f"[b]vibes observe dashboard[/] · last [b]{self.range_key}[/] · view [b]{current}[/]{scope}{stamp}")

    def show(self, snap: Snapshot) -> None:
        if snap.range_key != self.range_key:
            return  # a fetch for a range the user already left
        self.snapshot = snap
        self._title()
        reasons = "\n".join(snap.errors.values())
        self.query_one("#reason", Static).update(Text(reasons))
        self._tiles(snap)
        self._chart(snap)
        for table_id, (group, _) in TABLES.items():
            self._fill(table_id, group, snap)
        self.refreshes += 1

    def _tiles(self, snap: Snapshot) -> None:
        reason = snap.down("metrics")
        shown = {tid: (title, value) for tid, title, value in view.tiles(snap)}
        for tid in TILE_IDS:
            tile = self.query_one(f"#tile-{tid}", Static)
            title, value = shown.get(tid, (tid, "unavailable (see above)" if reason else "no data"))
            tile.border_title = title
            tile.update(Text(value, style="bold" if not reason else ""))
            tile.set_class(bool(reason), "down")

    def _chart(self, snap: Snapshot) -> None:
        box, reason = self.query_one("#chart-box"), snap.down("metrics")
        box.set_class(bool(reason), "down")
        self.query_one("#chart-title", Static).update(
            Text(reason) if reason else Text(view.chart_title(snap, RANGES[snap.range_key][1])))
        self.query_one("#chart", Sparkline).data = [v for _, v in snap.chart or []]

    def _fill(self, table_id: str, group: str, snap: Snapshot) -> None:
        table = self.query_one(f"#{table_id}", DataTable)
        reason = snap.down(group)
        table.set_class(bool(reason), "down")
        table.clear(columns=True)
        if reason:
            table.add_column(f"{table.border_title}: unavailable")
            table.add_row(Text(reason))
            return
        columns, rows = _rows(table_id, snap)
        table.add_columns(*columns)
        for row in rows:
            table.add_row(*row, key=row[0] if table_id == "session-list" else None)


def _rows(table_id: str, snap: Snapshot) -> view.Table:
    if table_id == "models":
        return view.figures_table(snap.by_model)
    if table_id == "agent-figures":
        return view.figures_table(snap.by_agent)
    if table_id == "tools":
        return view.tools_table(snap)
    if table_id == "alerts":
        return view.alerts_table(snap)
    if table_id == "cost-periods":
        return view.cost_periods_table(snap)
    if table_id == "session-list":
        return view.sessions_table(snap)
    return view.cost_by_table(snap, table_id.removeprefix("cost-"))


def _clock(unix_s: float) -> str:
    from datetime import datetime
    return datetime.fromtimestamp(unix_s).strftime("%H:%M:%S")
