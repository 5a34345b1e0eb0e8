"""Rate text as users write it in rowpush.toml and on the command line."""

from __future__ import annotations

import pytest

from rowpush.http.rate import Rate


@pytest.mark.parametrize(
    ("text", "count", "per"),
    [
        ("5/s", 5, 1.0),
        ("2.5/s", 2.5, 1.0),
        ("100/min", 100, 60.0),
        ("300/5min", 300, 300.0),
        ("500/3min", 500, 180.0),
        ("20000/5min", 20000, 300.0),
        ("1/h", 1, 3600.0),
        ("700/300s", 700, 300.0),
        (" 10 / 2 s ", 10, 2.0),
        ("50/SEC", 50, 1.0),
        ("1/100ms", 1, 0.1),
        ("2/hour", 2, 3600.0),
    ],
)
def test_rate_parses_the_accepted_forms(text: str, count: float, per: float) -> None:
    rate = Rate.parse(text)
    assert rate.count == count
    assert rate.per == pytest.approx(per)


@pytest.mark.parametrize(
    "text",
    ["", "5", "fast", "5/", "/s", "5/fortnight", "5 per second", "-1/s", "0/s", "5/0min", "1e3/s"],
)
def test_rate_rejects_other_text_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"not understood|above zero") as caught:
        Rate.parse(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "5/s" in message
    assert "300/5min" in message


@pytest.mark.parametrize("text", ["5/s", "2.5/s", "100/min", "300/5min", "1/h", "10/2s"])
def test_rate_text_round_trips(text: str) -> None:
    assert str(Rate.parse(text)) == text
    assert Rate.parse(str(Rate.parse(text))) == Rate.parse(text)


@pytest.mark.parametrize(
    ("text", "slots", "interval"),
    [
        ("300/5min", 300, 300.0),  # long windows allow a burst
        ("5/s", 1, 0.2),  # per-second rates are spread evenly
        ("2.5/s", 1, 0.4),  # fractional counts too
        ("1/h", 1, 3600.0),
    ],
)
def test_rate_enforcement_shape(text: str, slots: int, interval: float) -> None:
    rate = Rate.parse(text)
    assert rate.slots == slots
    assert rate.interval == pytest.approx(interval)


def test_rate_refuses_nonsense_numbers() -> None:
    with pytest.raises(ValueError, match="positive"):
        Rate(0, 1.0)
    with pytest.raises(ValueError, match="positive"):
        Rate(1, float("inf"))
