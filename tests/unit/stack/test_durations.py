"""One duration parser for the stack config, the alerting config, rule windows and the CLI."""
import pytest

from vibes_observe import durations


@pytest.mark.parametrize("text,expected", [("90s", 90), ("15m", 900), ("1h30m", 5400), ("7d", 604800),
                                           ("1w", 604800), ("250ms", 0.25), ("1y", 31536000)])
def test_seconds_reads_prometheus_durations(text, expected):
    assert durations.seconds(text) == expected


@pytest.mark.parametrize("bad", ["", "15", "m", "1.5h", "-1h", "1 h", "1hour", None, 15, ["1h"]])
def test_non_durations_are_refused_quoting_the_value(bad):
    with pytest.raises(durations.DurationError) as err:
        durations.seconds(bad)
    assert repr(bad) in str(err.value)


def test_zero_is_refused_unless_allowed():
    with pytest.raises(durations.DurationError, match="longer than zero"):
        durations.seconds("0s")
    assert durations.seconds("0s", allow_zero=True) == 0


@pytest.mark.parametrize("text,go", [("15d", "360h"), ("90s", "90s"), ("1h30m", "5400s"), ("2h", "2h")])
def test_go_form_has_no_days(text, go):
    assert durations.go(text) == go
    assert durations.seconds(go) == durations.seconds(text)
