"""Typed values from text: numbers, booleans, codes, dates and times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.ingest import dates, values


def column(*cells: str | None) -> pa.Array:
    return pa.array(list(cells), pa.string())


@pytest.mark.parametrize(
    ("cell", "decimal", "number"),
    [
        ("1.200,50", ",", Decimal("1200.50")),
        ("$1,200.00", ".", Decimal("1200.00")),
        ("1 200,50", ",", Decimal("1200.50")),
        ("1\u00a0200,50", ",", Decimal("1200.50")),
        ("(1,200.00)", ".", Decimal("-1200.00")),
        ("12%", ".", Decimal("0.12")),
        ("-€3,5", ",", Decimal("-3.5")),
        ("EUR 7", ".", Decimal("7")),
        ("1.5E+3", ".", Decimal("1500")),
        ("1'234.5", ".", Decimal("1234.5")),
    ],
)
def test_numbers_are_read_as_people_write_them(
    cell: str, decimal: str, number: Decimal
) -> None:
    assert values.parse_number(cell, decimal) == number


@pytest.mark.parametrize("cell", ["12abc", "1,2,3.4.5", "--5", "", "$", "1,20,0"])
def test_text_that_is_not_a_number_is_refused(cell: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        values.parse_number(cell, ".")


@pytest.mark.parametrize(
    ("cells", "decimal"),
    [
        (["1.200,50", "7"], ","),
        (["1,5", "2"], ","),
        (["1,200", "1.5"], "."),
        (["1,200", "3,400"], "."),  # nothing proves a comma: point by default
        (["1.200.300", "4"], ","),
        (["0,125"], ","),
    ],
)
def test_the_decimal_mark_is_decided_by_the_whole_column(
    cells: list[str], decimal: str
) -> None:
    assert values.decide_decimal(column(*cells)) == decimal


def test_a_column_proving_both_decimal_marks_is_a_conflict() -> None:
    with pytest.raises(values.ColumnConflict) as conflict:
        values.decide_decimal(column("1", "2.75", "3", "1,5"))

    assert (conflict.value.first, conflict.value.second) == (
        ("decimal points", 1),
        ("decimal commas", 3),
    )


@settings(deadline=None)  # speed is measured in benchmarks/, not here
@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.sampled_from([(",", "."), (".", ","), (" ", ","), ("", "."), ("", ",")]),
)
def test_a_formatted_number_reads_back_in_its_column(
    number: Decimal, marks: tuple[str, str]
) -> None:
    group, decimal = marks
    whole, fraction = f"{abs(number):,.2f}".split(".")
    cell = ("-" if number < 0 else "") + whole.replace(",", group) + decimal + fraction
    # A second cell proves the column's decimal mark, as a real column would.
    proof = f"0{decimal}5"

    converted = values.number_column(column(cell, proof))

    assert converted.bad == {}
    assert converted.values[0].as_py() == pytest.approx(float(number))


def test_number_column_marks_bad_cells_and_keeps_blanks_missing() -> None:
    converted = values.number_column(column("1.200,50", None, "x1", "3,25"))

    assert converted.values.to_pylist() == [1200.5, None, None, 3.25]
    assert converted.bad == {2: "not a number"}


def test_integers_refuse_fractions_and_ranges_are_checked() -> None:
    converted = values.check_range(
        values.integer_column(column("3", "2.5", "11", "-1", "10.0")), 0, 10
    )

    assert converted.values.to_pylist() == [3, None, None, None, 10]
    assert converted.bad == {
        1: "not a whole number",
        2: "not between 0 and 10",
        3: "not between 0 and 10",
    }


@pytest.mark.parametrize(
    ("cell", "truth"),
    [("TRUE", True), ("yes", True), ("Y", True), ("1", True), ("t", True)]
    + [("False", False), ("NO", False), ("n", False), ("0", False), ("F", False)],
)
def test_booleans_accept_the_usual_words(cell: str, truth: bool) -> None:
    assert values.parse_boolean(cell) is truth


def test_a_boolean_cell_with_another_word_is_bad() -> None:
    converted = values.boolean_column(column("yes", "maybe"))

    assert converted.bad == {
        1: "not a yes/no value (true/false, yes/no, y/n, 1/0, t/f)"
    }


@pytest.mark.parametrize(
    ("cell", "code"),
    [("UK", "GB"), ("gb", "GB"), ("DEU", "DE"), ("Germany", "DE"), ("USA", "US")],
)
def test_countries_become_iso_alpha_2(cell: str, code: str) -> None:
    assert values.parse_country(cell) == code


def test_choices_ignore_case_spaces_and_hyphens() -> None:
    converted = values.choice_column(
        column("Executive Sponsor", "champion", "fan"),
        ("executive_sponsor", "champion"),
    )

    assert converted.values.to_pylist() == ["executive_sponsor", "champion", None]
    assert converted.bad == {2: "not one of: executive_sponsor, champion"}


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["25/03/2024", "01/02/2024"], [dt.date(2024, 3, 25), dt.date(2024, 2, 1)]),
        (["03/25/2024", "01/02/2024"], [dt.date(2024, 3, 25), dt.date(2024, 1, 2)]),
        (["01/02/2024"], [dt.date(2024, 1, 2)]),  # ambiguous slashes: month-first
        (["01.02.2024"], [dt.date(2024, 2, 1)]),  # ambiguous dots: day-first
        (["2024-03-05", "20240306"], [dt.date(2024, 3, 5), dt.date(2024, 3, 6)]),
        (["45123", "45123.75"], [dt.date(2023, 7, 16), dt.date(2023, 7, 16)]),
        (["5 Mar 2024", "March 6, 2024"], [dt.date(2024, 3, 5), dt.date(2024, 3, 6)]),
        (["2024/03/05", "5/3/24"], [dt.date(2024, 3, 5), dt.date(2024, 5, 3)]),
    ],
)
def test_dates_are_read_per_column(cells: list[str], expected: list[dt.date]) -> None:
    converted = dates.date_column(column(*cells))

    assert converted.values.to_pylist() == expected
    assert converted.bad == {}


def test_ambiguous_dates_follow_the_mapping_default_and_a_field_binds() -> None:
    ambiguous = column("01/02/2024")
    disputed = column("01/02/2024", "02/13/2024")

    by_default = dates.date_column(ambiguous, default_dayfirst=True)
    bound = dates.date_column(disputed, dayfirst=True)

    assert by_default.values.to_pylist() == [dt.date(2024, 2, 1)]
    assert bound.values.to_pylist() == [dt.date(2024, 2, 1), None]
    assert bound.bad == {1: "not a day-first date"}


def test_a_date_column_proving_both_orders_is_a_conflict() -> None:
    with pytest.raises(values.ColumnConflict) as conflict:
        dates.date_column(column("13/01/2024", "01/01/2024", "01/13/2024"))

    assert (conflict.value.first, conflict.value.second) == (
        ("day-first dates", 0),
        ("month-first dates", 2),
    )


@pytest.mark.parametrize(
    ("cell", "rule"),
    [
        ("2024-02-30", "not a date"),
        ("yesterday", "not a date"),
        ("2024", "not a date"),
        ("123", "not a date"),
        ("99999", "not a date (a number outside the Excel serial-date range)"),
    ],
)
def test_text_that_is_not_a_date_is_refused(cell: str, rule: str) -> None:
    converted = dates.date_column(column("2024-01-01", cell))

    assert converted.bad == {1: rule}


def test_timestamps_with_offsets_become_utc_and_naive_ones_are_utc() -> None:
    converted = dates.timestamp_column(
        column("2024-03-01T10:00:00+02:00", "2024-03-01 10:00", "15/03/2024 14:30")
    )

    utc = dt.UTC
    assert converted.values.to_pylist() == [
        dt.datetime(2024, 3, 1, 8, 0, tzinfo=utc),
        dt.datetime(2024, 3, 1, 10, 0, tzinfo=utc),
        dt.datetime(2024, 3, 15, 14, 30, tzinfo=utc),
    ]


def test_epoch_seconds_and_milliseconds_with_a_unit() -> None:
    seconds = dates.timestamp_column(column("1541105830", "x"), unit="s")
    millis = dates.timestamp_column(column("1541105830796", "1e20"), unit="ms")

    assert seconds.values.to_pylist()[0] == dt.datetime(
        2018, 11, 1, 20, 57, 10, tzinfo=dt.UTC
    )
    assert seconds.bad == {1: "not a number of seconds since 1970"}
    assert millis.values.to_pylist()[0] == dt.datetime(
        2018, 11, 1, 20, 57, 10, 796000, tzinfo=dt.UTC
    )
    assert millis.bad == {1: "not a number of milliseconds since 1970 (out of range)"}


def test_an_explicit_format_is_the_only_reading() -> None:
    converted = dates.date_column(column("19970101", "1997-01-02"), format="%Y%m%d")

    assert converted.values.to_pylist() == [dt.date(1997, 1, 1), None]
    assert converted.bad == {1: "does not match the format %Y%m%d"}


@settings(deadline=None)  # speed is measured in benchmarks/, not here
@given(
    st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31)), min_size=1),
    st.booleans(),
)
def test_a_column_with_one_proving_cell_reads_every_cell_in_its_order(
    days: list[dt.date], dayfirst: bool
) -> None:
    proof = dt.date(2024, 1, 25)  # day 25 cannot be a month
    pattern = "%d/%m/%Y" if dayfirst else "%m/%d/%Y"
    cells = [day.strftime(pattern) for day in [proof, *days]]

    converted = dates.date_column(column(*cells))

    assert converted.values.to_pylist() == [proof, *days]


@settings(deadline=None)  # speed is measured in benchmarks/, not here
@given(st.datetimes(dt.datetime(1971, 1, 1), dt.datetime(2100, 1, 1)))
def test_iso_timestamps_round_trip_through_utc(moment: dt.datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=dt.UTC)
    offset = dt.timezone(dt.timedelta(hours=-5))

    converted = dates.timestamp_column(column(moment.astimezone(offset).isoformat()))

    assert converted.values.to_pylist() == [moment]
