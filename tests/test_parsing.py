"""The tolerant readers every provider plugin shares."""

from __future__ import annotations

import pytest
from inpaintkit.parsing import first_value, lenient_number, retry_after_header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (2.5, 2.5),
        ("35.9", 35.9),
        (" 7 ", 7.0),
        ("x", None),
        (True, None),
        (None, None),
        ([], None),
        (float("nan"), None),
        ("inf", None),
    ],
)
def test_lenient_number(value: object, expected: float | None) -> None:
    assert lenient_number(value) == expected


def test_lenient_number_minimum() -> None:
    assert lenient_number("-1", minimum=0) is None
    assert lenient_number(0, minimum=0) == 0.0


def test_first_value_skips_null_and_empty() -> None:
    body = {"message": "", "messege": "try later", "error": "x"}
    assert first_value(body, ("message", "messege", "error")) == "try later"
    assert first_value({"message": None}, ("message",)) is None
    assert first_value(["not", "an", "object"], ("message",)) is None


def test_retry_after_seconds_and_dates() -> None:
    assert retry_after_header({"Retry-After": "30"}) == 30.0
    assert retry_after_header({}) is None
    date = {"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert retry_after_header(date) == 30.0
    only_date = {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}
    assert retry_after_header(only_date) is None  # no reference time: no usable hint
    assert retry_after_header(only_date, now=1445412480.0) == 30.0
    assert retry_after_header(only_date, now=1445412600.0) == 0.0
    assert retry_after_header({"Retry-After": "-5"}) is None
