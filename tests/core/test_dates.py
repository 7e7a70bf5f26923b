"""Dates as people write them: the configured order, every separator, and a reason for each refusal."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.dates import DATE_ORDERS, format_date, parse_date
from hotline.core.errors import ConfigError, InvalidInput
from hotline.core.settings import load_settings

orders = st.sampled_from(DATE_ORDERS)


@given(value=st.dates(min_value=date(1, 1, 1)), order=orders)
def test_a_formatted_date_reads_back_as_itself(value: date, order: str) -> None:
    assert parse_date(format_date(value, order), order) == value


@given(value=st.dates(min_value=date(1000, 1, 1)), order=orders, separator=st.sampled_from("./- "))
def test_any_separator_and_iso_are_read_in_every_order(value: date, order: str, separator: str) -> None:
    written = (
        format_date(value, order).replace(".", separator).replace("/", separator).replace("-", separator)
    )
    assert parse_date(f"  {written} ", order) == value
    assert parse_date(value.isoformat(), order) == value  # a year written first is ISO whatever the order


@given(
    year=st.integers(1, 9999),
    month=st.integers(1, 12),
    extra=st.integers(1, 20),
    order=orders,
)
def test_a_day_past_the_end_of_its_month_is_refused_with_the_month_length(
    year: int, month: int, extra: int, order: str
) -> None:
    days = calendar.monthrange(year, month)[1]
    day = days + extra
    if order == "dmy":
        text = f"{day:02d}.{month:02d}.{year:04d}"
    elif order == "mdy":
        text = f"{month:02d}/{day:02d}/{year:04d}"
    else:
        text = f"{year:04d}-{month:02d}-{day:02d}"
    with pytest.raises(InvalidInput) as refused:
        parse_date(text, order)
    assert f"{calendar.month_name[month]} {year} has {days} days" in str(refused.value)


@pytest.mark.parametrize("text", ["16.01.1999", "16/01/1999", "16-1-1999", "1999-01-16", "16 01 1999"])
def test_day_first_by_default_reads_the_seeds_dates(text: str) -> None:
    assert parse_date(text, "dmy") == date(1999, 1, 16)


def test_the_order_decides_which_number_is_the_day() -> None:
    assert parse_date("03.04.1999", "dmy") == date(1999, 4, 3)
    assert parse_date("03/04/1999", "mdy") == date(1999, 3, 4)
    assert parse_date("1999.04.03", "mdy") == date(1999, 4, 3)


@pytest.mark.parametrize(
    ("text", "order", "reason"),
    [
        ("31.02.1990", "dmy", "February 1990 has 28 days"),
        ("29.02.2023", "dmy", "February 2023 has 28 days"),
        ("31/04/2001", "dmy", "April 2001 has 30 days"),
        ("00.01.1999", "dmy", "January 1999 has 31 days"),
        ("16.13.1999", "dmy", "there is no month 13"),
        ("01/16/1999", "dmy", "there is no month 16 (the order is DD.MM.YYYY)"),
        ("16.01.99", "dmy", "write the year in full"),
        ("16.01.0000", "dmy", "there is no year 0"),
        ("yesterday", "dmy", "not a date: write it as DD.MM.YYYY"),
        ("", "mdy", "not a date: write it as MM/DD/YYYY"),
        ("16.01.1999.", "dmy", "not a date"),
        ("016.01.1999", "dmy", "not a date"),
    ],
)
def test_a_refusal_says_why(text: str, order: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_date(text, order)
    assert reason in str(refused.value)


def test_29_february_of_a_leap_year_is_a_date() -> None:
    assert parse_date("29.02.2024", "dmy") == date(2024, 2, 29)


def test_the_setting_is_day_first_and_an_unknown_order_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert load_settings(config).date_order == "dmy"
    config.write_text('date_order = "mdy"\n', encoding="utf-8")
    assert load_settings(config).date_order == "mdy"
    config.write_text('date_order = "dd.mm.yyyy"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config) and "date_order" in str(error.value)
