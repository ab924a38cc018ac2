"""Time and duration parsing: bad input names the option and the value."""

from datetime import datetime

import click
import pytest

from vibes_observe.commands._common import fmt_duration_us, parse_duration, parse_time, period_start


def test_durations():
    assert parse_duration("90s") == 90
    assert parse_duration("15m") == 900
    assert parse_duration("2h") == 7200
    assert parse_duration("7d") == 7 * 86400
    assert parse_duration("1w") == 7 * 86400
    assert parse_duration("250ms") == 0.25


def test_bad_duration_names_option_and_value():
    with pytest.raises(click.BadParameter) as err:
        parse_duration("soon", "--window")
    assert "'soon'" in err.value.format_message() and err.value.param_hint == "--window"


def test_times():
    assert parse_time("now", now=1000.0) == 1000.0
    assert parse_time("10m", now=1000.0) == 400.0
    assert parse_time("2026-01-31T12:00:00+00:00") == datetime(2026, 1, 31, 12, tzinfo=None).replace(
        tzinfo=__import__("datetime").timezone.utc).timestamp()
    with pytest.raises(click.BadParameter, match="'yesterday-ish'"):
        parse_time("yesterday-ish", "--since")


def test_period_start_is_utc_midnight_even_for_a_local_clock_ahead_of_utc():
    from datetime import timedelta, timezone
    local = datetime(2026, 11, 26, 1, 15, tzinfo=timezone(timedelta(hours=5)))  # 2026-11-25 20:15 UTC
    assert period_start("today", local) == datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert period_start("week", local) == datetime(2026, 11, 23, tzinfo=timezone.utc)


def test_period_start_is_midnight_monday_first_of_month():
    now = datetime(2026, 11, 26, 9, 15).astimezone()  # Thursday
    assert period_start("today", now).hour == 0 and period_start("today", now).day == 26
    assert period_start("week", now).day == 23  # Monday
    assert period_start("month", now).day == 1
    assert period_start("all", now) is None
    with pytest.raises(click.BadParameter, match="'year'"):
        period_start("year", now)


def test_fmt_duration():
    assert fmt_duration_us(850) == "850µs"
    assert fmt_duration_us(52_262) == "52.3ms"
    assert fmt_duration_us(2_500_000) == "2.50s"
