"""The agent host's gateway watcher: only its marked /etc/hosts block changes."""
from __future__ import annotations

import json
import urllib.request

from vibes_stack import gateway_watch


def test_block_is_appended_then_replaced_and_the_rest_kept():
    base = "127.0.0.1 localhost\n10.9.0.10 a1\n"
    first = gateway_watch.with_block(base, ["10.9.0.13", "10.9.0.14"])
    assert first.startswith(base)
    assert f"10.9.0.13 {gateway_watch.GATEWAYS_NAME}" in first
    second = gateway_watch.with_block(first + "10.9.0.99 later\n", ["10.9.0.14"])
    assert f"10.9.0.13 {gateway_watch.GATEWAYS_NAME}" not in second
    assert "10.9.0.99 later" in second and second.startswith(base)
    assert second.count(gateway_watch.BEGIN) == 1


def test_rewrite_in_place_reports_a_change_once(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    text = gateway_watch.with_block(hosts.read_text(), ["10.9.0.13"])
    assert gateway_watch.write_in_place(hosts, text)
    assert not gateway_watch.write_in_place(hosts, text)
    assert hosts.read_text() == text


def test_when_no_gateway_answers_every_gateway_stays_listed():
    # nothing listens on port 9 of a TEST-NET-1 address: every probe fails at once or times out
    assert gateway_watch.listed(["192.0.2.1", "192.0.2.2"], 9, timeout=0.2) == ["192.0.2.1", "192.0.2.2"]


def test_the_health_endpoint_answers_the_list_last_written():
    current = ["10.9.0.13"]
    server = gateway_watch.serve_listed("127.0.0.1:0", current)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        current[:] = ["10.9.0.14"]
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert json.load(answer) == {"gateways": ["10.9.0.14"]}
    finally:
        server.shutdown()


def test_a_gateway_leaves_the_list_only_after_failed_probes_in_a_row_and_returns_at_once():
    failures: dict[str, int] = {}
    up, down = {"10.9.0.13": True, "10.9.0.14": True}, {"10.9.0.13": True, "10.9.0.14": False}
    assert gateway_watch.still_listed(failures, up) == ["10.9.0.13", "10.9.0.14"]
    for _ in range(gateway_watch.FAILURES_TO_DELIST - 1):  # a slow answer or two: still listed
        assert gateway_watch.still_listed(failures, down) == ["10.9.0.13", "10.9.0.14"]
    assert gateway_watch.still_listed(failures, down) == ["10.9.0.13"]
    assert gateway_watch.still_listed(failures, up) == ["10.9.0.13", "10.9.0.14"]
