"""The limits of network reads: defaults, environment variables, the rate floor."""

from __future__ import annotations

import logging

import pytest

from napari_cryoet_explorer.net.limits import ENV, KIB, MIB, Limits, LowSpeed


def test_the_environment_changes_each_limit_in_its_unit() -> None:
    env = {variable: "2" for variable, _ in ENV.values()}
    limits = Limits.from_env(env)
    assert limits.connect_s == limits.read_s == limits.deadline_s == 2.0
    assert limits.min_rate == 2 * KIB
    assert limits.max_answer_bytes == limits.max_file_bytes == 2 * MIB
    assert isinstance(limits.max_file_bytes, int)


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "ten", ""])
def test_a_value_that_is_not_a_positive_number_keeps_the_default(
    raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    variable = ENV["read_s"][0]
    with caplog.at_level(logging.WARNING):
        limits = Limits.from_env({variable: raw})
    assert limits.read_s == Limits().read_s
    assert (variable in caplog.text) == bool(raw)  # an unset variable says nothing


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline_s"):
        Limits(deadline_s=0)


def test_low_speed_tells_a_trickle_from_a_slow_start() -> None:
    now = [0.0]
    slow = LowSpeed(min_rate=100, window_s=1.0, clock=lambda: now[0])
    now[0] = 0.5
    assert slow.update(1) is None  # too early to judge
    now[0] = 1.0
    assert slow.update(500) is None  # 500 B/s over the first second
    now[0] = 2.0
    assert slow.update(510) == pytest.approx(10.0)  # 10 B/s over the next
