"""The fast IMS JSON reader (byte-level split + NDJSON) against the full parser: the same
sections, the same values and the same record texts, whatever the file's spacing; files it
cannot read with certainty fall back to the full parser."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.ims_json import ImsJsonImporter, _fast_sections
from imsrecon.importers.json_fast import split_arrays

# values that try to look like separators or brackets inside a string
_TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["}", "},{", "} , {", "a]b", "[x", '"q"', "x\ny", "₹ ०१"]))
_RECORD = st.fixed_dictionaries(
    {"stin": st.sampled_from(["29AAGCB1286Q1Z0", "27AAPFU0939F1ZV"]), "inum": _TEXT, "idt": st.just("01-04-2025"),
     "txval": st.one_of(st.floats(0, 1e7, allow_nan=False), st.integers(0, 10**7)),
     # amounts are read as numbers; one written as text (readable or not) makes them text
     "iamt": st.one_of(st.just(18.0), st.sampled_from(["18.00", "1,18,000", "abc", ""]), st.booleans(), st.none()),
     "action": st.sampled_from(["N", "A"])},
    optional={"trdnm": _TEXT, "rtnprd": st.just("042025"), "remarks": st.none(), "srctyp": st.just("X")},
)
_LAYOUTS = [  # json.dumps arguments
    {"separators": (",", ":")},  # the portal's compact form
    {},  # ", " and ": "
    {"indent": 2},
    {"separators": (" , ", " : ")},
]


def _read(path: Path, fast: bool) -> tuple[pl.DataFrame, list]:
    """The importer's documents and issues, by the fast reader or (``fast`` off) the full parser."""
    from unittest import mock

    if fast:
        result = ImsJsonImporter().read(path, ImportOptions())
    else:
        with mock.patch("imsrecon.importers.ims_json._fast_sections", return_value=None):
            result = ImsJsonImporter().read(path, ImportOptions())
    return result.documents, [(i.row, i.column, i.reason) for i in result.issues]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(b2b=st.lists(_RECORD, max_size=6), cn=st.lists(_RECORD, max_size=3), layout=st.sampled_from(_LAYOUTS),
       sample=st.sampled_from([1 << 20, 40]))
def test_fast_reader_agrees_with_the_full_parser(tmp_path_factory, b2b, cn, layout, sample):
    """``sample``: how much of a section is searched for keys first (40 bytes: keys of later
    records, such as an optional trdnm or a JSON null, are found only by the count)."""
    from unittest import mock

    from imsrecon.importers import json_fast

    with mock.patch.object(json_fast, "_SAMPLE_BYTES", sample):
        _fast_agrees(tmp_path_factory, b2b, cn, layout)


def _fast_agrees(tmp_path_factory, b2b, cn, layout):
    path = tmp_path_factory.mktemp("fast") / "ims.json"
    notes = [{**{k: v for k, v in r.items() if k not in ("inum", "idt")}, "nt_num": r["inum"], "nt_dt": r["idt"]}
             for r in cn]
    path.write_text(json.dumps({"data": {"b2b": b2b, "b2bcn": notes}}, ensure_ascii=False, **layout), encoding="utf-8")
    brackets = any(isinstance(v, str) and set(v) & set("[]{}") for r in b2b + notes for v in r.values())
    if not brackets:  # every layout is read fast unless a text holds a bracket
        assert _fast_sections(path.read_bytes()) is not None
    fast_docs, fast_issues = _read(path, fast=True)
    full_docs, full_issues = _read(path, fast=False)
    assert fast_issues == full_issues
    if full_docs is None:
        assert fast_docs is None
        return
    # the same values; the record text is the record as written (the full parser re-serialises it)
    assert fast_docs.drop("portal_record").equals(full_docs.drop("portal_record"))
    assert [json.loads(t) for t in fast_docs["portal_record"]] == [json.loads(t) for t in full_docs["portal_record"]]


def test_a_file_the_fast_reader_refuses_is_read_in_full(tmp_path):
    path = tmp_path / "ims.json"
    nested = {"stin": "29AAGCB1286Q1Z0", "inum": "A1", "idt": "01-04-2025", "txval": 100, "items": [{"rt": 18}]}
    path.write_text(json.dumps({"data": {"b2b": [nested]}}))
    assert _fast_sections(path.read_bytes()) is None
    result = ImsJsonImporter().read(path, ImportOptions())
    assert result.documents["doc_no"].to_list() == ["A1"]


@pytest.mark.parametrize("number", ["A{}", "A:{}", 'A":{}'])  # colons in a text: the count of '":' decides
def test_a_key_seen_only_after_the_sample_is_still_read(tmp_path, monkeypatch, number):
    from imsrecon.importers import json_fast

    monkeypatch.setattr(json_fast, "_SAMPLE_BYTES", 200)
    recs = [{"stin": "29AAGCB1286Q1Z0", "inum": number.format(n), "idt": "01-04-2025", "txval": 100, "action": "N"}
            for n in range(40)]
    recs[20]["action"] = "R"
    recs[21]["trdnm"] = "Only here Ltd"  # not in the first or last 200 bytes
    path = tmp_path / "ims.json"
    path.write_text(json.dumps({"data": {"b2b": recs}}, separators=(",", ":")))
    docs, _ = _read(path, fast=True)
    assert docs["supplier_name"].to_list()[21] == "Only here Ltd"
    assert docs["action"].to_list()[20] == "R"
    assert docs.drop("portal_record").equals(_read(path, fast=False)[0].drop("portal_record"))


@pytest.mark.parametrize(
    ("records", "layout"),
    [([], {}), ([{"a": 1}], {}), ([{"a": 1}, {"a": "}"}, {"b": 2}], {"separators": (",", ":")}),
     ([{"a": 1}, {"b": 2}, {"c": 3}], {"separators": (" , ", " : ")}), ([{"a": 1}, {"b": "x"}], {"indent": 2})],
)
def test_unknown_sections_count_their_records(tmp_path, records, layout):
    """A section imsrecon does not read is still counted (its records are reported as not imported)."""
    from imsrecon.importers.json_fast import record_count

    path = tmp_path / "ims.json"
    path.write_text(json.dumps({"data": {"b2b": [], "xyz": records}}, **layout))
    arrays = split_arrays(path.read_bytes())[1]
    assert record_count(arrays[("data", "xyz")]) == len(records)
