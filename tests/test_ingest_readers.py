"""Files into columns: encodings, delimiters, quoting, blank rows, row numbers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.errors import ImportFailed
from steward.ingest.readers import read_table, sniff_delimiter


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def cells(table, column: str) -> list:
    return table.columns[column].to_pylist()


def test_bom_is_dropped_from_the_first_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "\ufeffid,name\n1,Acme\n")

    table = read_table(path)

    assert list(table.columns) == ["id", "name"]
    assert table.encoding == "utf-8-sig"


def test_windows_1252_text_is_detected(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv", "id;name\n1;Société Générale\n2;Müller – “Ost”\n", "cp1252"
    )

    table = read_table(path)

    assert table.encoding == "cp1252"
    assert cells(table, "name") == ["Société Générale", "Müller – “Ost”"]


def test_a_given_encoding_is_used_as_is(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "id,name\n1,Łódź\n", "cp1250")

    table = read_table(path, encoding="cp1250")

    assert cells(table, "name") == ["Łódź"]


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;1.200,50;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        (" id  date count\n 01 19970101  1\n 02 19970102  3\n", "whitespace"),
        ("single\nvalue\n", ","),
    ],
)
def test_the_delimiter_is_sniffed(sample: str, delimiter: str) -> None:
    assert sniff_delimiter(sample) == delimiter


def test_row_numbers_count_the_header_blank_rows_and_not_quoted_newlines(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "a.csv",
        'id,note\n1,"two\nlines"\n\n2,plain\n,\n3,"say ""hi"""\n',
    )

    table = read_table(path)

    assert table.rows.tolist() == [2, 4, 6]
    assert cells(table, "note") == ["two\nlines", "plain", 'say "hi"']
    assert table.blank_rows == 2


def test_blank_and_whitespace_cells_are_missing_and_values_trimmed(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "a.csv", "id,total\n1,  12.5 \n2,\n3,   \n")

    table = read_table(path)

    assert cells(table, "total") == ["12.5", None, None]


def test_rows_with_the_wrong_number_of_fields_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "id,name\n1,a\n2,b,extra\n3\n4,d\n")

    table = read_table(path)

    assert table.rows.tolist() == [2, 5]
    assert [str(problem) for problem in table.problems] == [
        "a.csv, row 3: row has 3 fields, the header has 2",
        "a.csv, row 4: row has 1 fields, the header has 2",
    ]


def test_wrong_widths_are_numbered_also_when_quoted_newlines_are_present(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "a.csv", 'id,name\n1,"a\nb"\n2,b,extra\n3,c\n')

    table = read_table(path)

    assert table.rows.tolist() == [2, 4]
    assert [problem.row for problem in table.problems] == [3]


def test_a_stray_quote_falls_back_to_the_csv_module_with_the_same_rows(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "a.csv", 'id,size\n1,5" screen\n2,7 inch\n')

    table = read_table(path)

    assert table.rows.tolist() == [2, 3]
    assert cells(table, "size") == ['5" screen', "7 inch"]


def test_whitespace_separated_file_without_header_takes_names(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.txt",
        " 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n",
    )

    table = read_table(
        path, delimiter="whitespace", header=False, columns=["id", "day", "n", "usd"]
    )

    assert cells(table, "id") == ["00001", "00002"]
    assert cells(table, "usd") == ["11.77", "12.00"]
    assert table.rows.tolist() == [1, 2]


def test_json_lines_keep_line_numbers_and_report_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "ok": True, "tags": ["a"], "x": None}),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"id": 2.5, "extra": "e"}),
    ]
    path = write(tmp_path / "e.jsonl", "\n".join(lines) + "\n")

    table = read_table(path)

    assert table.rows.tolist() == [1, 5]
    assert cells(table, "id") == ["1", "2.5"]
    assert cells(table, "ok") == ["true", None]
    assert cells(table, "tags") == ['["a"]', None]
    assert cells(table, "extra") == [None, "e"]
    assert table.blank_rows == 1
    assert [str(problem) for problem in table.problems] == [
        "e.jsonl, row 3: not valid JSON (Expecting property name enclosed in "
        "double quotes)",
        "e.jsonl, row 4: not a JSON object",
    ]


def test_parquet_columns_keep_their_types(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(pa.table({"id": ["a", " b "], "n": [1, 2]}), path)

    table = read_table(path)

    assert cells(table, "id") == ["a", "b"]
    assert table.columns["n"].type == pa.int64()
    assert table.rows.tolist() == [1, 2]


def test_an_unknown_extension_needs_a_format(tmp_path: Path) -> None:
    path = write(tmp_path / "export.dat", "a,b\n")

    with pytest.raises(ImportFailed) as failure:
        read_table(path)

    assert str(failure.value) == (
        "export.dat: cannot tell the format from the extension '.dat'; set format: "
        "csv, jsonl or parquet for it in the mapping"
    )


_CELL = st.text(alphabet='ab ,"\n', max_size=6)


# No deadline: the machine is shared, and speed is measured in benchmarks/.
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(_CELL, _CELL), max_size=25), st.sampled_from(["\n", "\r\n"]))
def test_rows_and_cells_match_what_the_csv_module_reads(
    tmp_path: Path, records: list[tuple[str, str]], newline: str
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows([("id", "note"), *records])
    path = write(tmp_path / "p.csv", buffer.getvalue())
    expected = [
        (number, [cell.strip() or None for cell in record])
        for number, record in enumerate(
            csv.reader(io.StringIO(buffer.getvalue(), newline="")), start=1
        )
        if number > 1 and any(cell.strip() for cell in record)
    ]

    table = read_table(path, delimiter=",")

    pairs = zip(cells(table, "id"), cells(table, "note"), strict=True)
    got = [(n, list(pair)) for n, pair in zip(table.rows.tolist(), pairs, strict=True)]
    assert got == expected
