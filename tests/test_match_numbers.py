"""Neighbour keys of document-number cores: one edit apart shares a key."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imsrecon.match.numbers import NEIGHBOUR_POSITIONS, explode_neighbours


def keys_of(core: str | None) -> list[str | None]:
    frame = pl.DataFrame({"i": [0], "core": [core]}, schema={"i": pl.Int64, "core": pl.String})
    return explode_neighbours(frame, "core", "k")["k"].to_list()


@pytest.mark.parametrize(
    ("core", "expected"),
    [
        ("ABC", ["ABC", "BC", "AC", "AB"]),
        ("A1", ["A1", "1", "A"]),
        ("", [""]),
        (None, [None]),
        ("१२३", ["१२३", "२३", "१३", "१२"]),  # characters, not bytes
    ],
)
def test_keys(core, expected):
    assert keys_of(core) == expected


def test_deletions_stop_after_the_first_positions():
    core = "ABCDEFGHIJKLMNOPQRSTUV"
    keys = keys_of(core)
    assert len(keys) == 1 + NEIGHBOUR_POSITIONS
    assert keys[1:] == [core[:p] + core[p + 1 :] for p in range(NEIGHBOUR_POSITIONS)]


def test_every_row_keeps_its_columns():
    frame = pl.DataFrame({"i": [1, 2], "core": ["AB", None]})
    out = explode_neighbours(frame, "core", "k")
    assert out.select("i", "k").rows() == [(1, "AB"), (1, "B"), (1, "A"), (2, None)]


_CORE = st.text(alphabet="ABC0123456789", min_size=2, max_size=NEIGHBOUR_POSITIONS)


@given(_CORE, st.data())
def test_one_edit_apart_share_a_key(core, data):
    """Substitution, insertion, deletion and adjacent transposition all leave a shared key."""
    p = data.draw(st.integers(0, len(core) - 1))
    c = data.draw(st.sampled_from("ABC0123456789"))
    edits = [core[:p] + c + core[p + 1 :], core[:p] + c + core[p:], core[:p] + core[p + 1 :]]
    if p + 1 < len(core):
        edits.append(core[:p] + core[p + 1] + core[p] + core[p + 2 :])
    mine = set(keys_of(core))
    for other in edits:
        if len(other) <= NEIGHBOUR_POSITIONS:
            assert mine & set(keys_of(other)), (core, other)


@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=30))
def test_similarity_is_rapidfuzz_osa(pairs):
    """The similarity derived from the distance equals rapidfuzz's own normalised OSA."""
    from rapidfuzz.distance import OSA

    from imsrecon.match.numbers import similarity

    a = pl.Series([x for x, _ in pairs], dtype=pl.String)
    b = pl.Series([y for _, y in pairs], dtype=pl.String)
    dist, sim = similarity(a, b)
    assert list(dist) == [OSA.distance(x, y) for x, y in pairs]
    assert [round(v, 9) for v in sim] == [round(OSA.normalized_similarity(x, y), 9) for x, y in pairs]


@pytest.mark.parametrize(
    ("number", "core"),
    [
        ("INV/2025-26/0012", "12"), ("inv 2025-26 0012", "12"), ("INV/2025/26/12", "12"),
        ("INV/20252026/12", "12"), ("FY25-26/INV/12", "12"), ("FY2526/7", "7"), ("99-00/5", "5"),
        # a year as a segment of its own: a compact financial year or a calendar year
        ("SI/2526/0045", "45"), ("2425/88", "88"), ("INV/2025/77", "77"), ("B-123/2025", "123"),
        ("INV-2025-0012", "12"),
        # ... but never the only digits: INV/2025 is invoice 2025 of the series INV
        ("INV/2025", "2025"), ("INV/2425", "2425"), ("GST-2025", "2025"), ("0002025", "2025"),
        # the document's year tells the year from the counter; two runs that both read as its
        # year leave the number as it is (either may be the counter)
        ("INV/2025/2019", "2019"), ("2019/2025", "2019"), ("MST/2526/3536", "3536"), ("2425/88/2025", "2425882025"),
        ("INV/2019/5", "20195"),  # not the document's year
        # not a year token: glued to letters, before GST, not a year pair
        ("INV2425/123", "2425123"), ("INV/2016/5", "20165"), ("INV/1213/5", "12135"), ("INV/25-27/3", "25273"),
        # "2025/25" is not a year pair and must not hide the real one after it: two documents
        # of one series keep two cores
        ("TI/2025/25-26", "2025"), ("TI/2526/25-26", "2526"),
        # a remark the books typed after the number: a bracketed note or the document's date
        ("INV 507 (Ramesh)", "507"), ("581 dt 01.05.25", "581"), ("INV#581 dated 01/05/2025", "581"),
        ("INV/137 DT: 12-03-2025", "137"), ("SI/25-26/45 dtd 3.4.25", "45"), ("INV/137 12.03.2025", "137"),
        ("INV/137, 12/03/25", "137"), ("INV-12-03-25", "12325"),  # no blank or comma: the number's own
        # ... but not letters that are part of the number
        ("INV(A)5", "5"), ("DT 5", "5"), ("INV 5 DATED", "5DATED"),
    ],
)
def test_cores(number, core):
    from imsrecon.match.numbers import core_series

    # the documents are of the financial year 2025-26
    assert core_series(pl.Series([number]), pl.Series(["2025-26"])).to_list() == [core]


def test_the_year_segment_is_read_against_the_documents_own_year():
    from imsrecon.match.numbers import core_series

    numbers = pl.Series(["INV/2025/77", "INV/2025/77", "INV/2025/77", None])
    fys = pl.Series(["2025-26", "2024-25", "2021-22", "2025-26"])
    # 2025 is a year of the documents of 2025-26 and 2024-25, a counter for one of 2021-22
    assert core_series(numbers, fys).to_list() == ["77", "77", "202577", None]
    assert core_series(numbers.head(1)).to_list() == ["202577"]  # no year known: kept
