"""Fuzzing every JSON importer (IMS portal and offline envelope, GSTR-2B nested and GSP-flattened,
GSTR-2A): whatever the file holds — a valid download with values replaced by lists, objects, huge
numbers, NaN/Infinity tokens, keys dropped or renamed, nesting changed, bytes truncated or not
UTF-8, or JSON that is no download at all — the answer is an ImportResult (whose documents keep
the schema and whose every record is a document or an issue) or an InputFileError naming the
file: never another exception. Bounded example counts keep the file well under a minute."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsrecon.importers.base import ImportOptions, ImportResult
from imsrecon.importers.gstr2a_json import Gstr2aJsonImporter
from imsrecon.importers.gstr2b_json import Gstr2bJsonImporter
from imsrecon.importers.ims_json import ImsJsonImporter
from imsrecon.importers.registry import detect
from imsrecon.issues import InputFileError
from imsrecon.model import DOCUMENT_SCHEMA

DATA = Path(__file__).parent / "data"
BASES = {
    "ims_portal": (DATA / "ims" / "ims_portal.json", ImsJsonImporter()),
    "ims_offline": (DATA / "ims" / "ims_offline.json", ImsJsonImporter()),
    "gstr2b": (DATA / "gstr2b" / "gstr2b_sample.json", Gstr2bJsonImporter()),
    "gstr2b_flat": (DATA / "gstr2b" / "gstr2b_gsp_flat.json", Gstr2bJsonImporter()),
    "gstr2a": (DATA / "gstr2a" / "gstr2a_offline.json", Gstr2aJsonImporter()),
}
IMPORTERS = [ImsJsonImporter(), Gstr2bJsonImporter(), Gstr2aJsonImporter()]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

# values that break assumptions: lists and objects where one value belongs, numbers beyond 64
# (and 128) bits, non-finite floats (written as NaN / Infinity tokens), text that looks like JSON
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**200), 2**200), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["", " ", "}", "],[", '{"a":1}', "1,18,000", "31-02-2025", "Nov-25",
                                           "\u20b9 \u0966\u0967", "\x00", "Y", "true", "C", "D"]),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["b2b", "inv", "nt", "itms", "itm_det", "txval", "inum", "docdata", "data", "x"]) | st.text(max_size=4),
    inner, max_size=3), max_leaves=8)
_KEYS = st.sampled_from(["stin", "ctin", "inum", "idt", "nt_num", "ntty", "typ", "txval", "iamt", "itms", "inv", "nt",
                         "docdata", "data", "b2b", "cdn", "cdnr", "fp", "rtnprd", "supprd", "invoice_type", "boenum"])


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a parsed JSON value (the value itself too)."""
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _replace(node: Any, path: tuple, fn) -> Any:
    if not path:
        return fn(node)
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replace(v, rest, fn) if k == head else v) for k, v in node.items()}
    return [(_replace(v, rest, fn) if i == head else v) for i, v in enumerate(node)]


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """A download with a few places changed: a value replaced, a key dropped or renamed, a value
    wrapped in a list or an object, a list emptied or its items repeated."""
    doc = base
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        op = draw(st.sampled_from(["value", "drop", "rename", "wrap_list", "wrap_object", "empty", "repeat", "huge"]))
        if op == "value":
            value = draw(_VALUES)
            doc = _replace(doc, path, lambda _, v=value: v)
        elif op == "huge":
            value = draw(st.sampled_from([2**64, -(2**63) - 1, 10**30, 2**200, 1e308, -0.0, math.nan, math.inf]))
            doc = _replace(doc, path, lambda _, v=value: v)
        elif op in ("drop", "rename") and path and isinstance(path[-1], str):
            new = draw(_KEYS)

            def edit(parent: Any, key=path[-1], new=new, op=op) -> Any:
                if not isinstance(parent, dict):
                    return parent
                return {(new if op == "rename" and k == key else k): v for k, v in parent.items()
                        if not (op == "drop" and k == key)}

            doc = _replace(doc, path[:-1], edit)
        elif op == "wrap_list":
            doc = _replace(doc, path, lambda v: [v])
        elif op == "wrap_object":
            key = draw(_KEYS)
            doc = _replace(doc, path, lambda v, k=key: {k: v})
        elif op == "empty":
            doc = _replace(doc, path, lambda v: type(v)() if isinstance(v, (list, dict)) else v)
        elif op == "repeat":
            doc = _replace(doc, path, lambda v: v + v[:2] if isinstance(v, list) else v)
    return doc


def _bytes(doc: Any, draw: st.DrawFn) -> bytes:
    """The value as JSON text (NaN and Infinity written as the tokens some writers emit), perhaps
    truncated or with bytes that are not UTF-8."""
    text = json.dumps(doc, allow_nan=True, separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    data = text.encode("utf-8", "surrogatepass")
    cut = draw(st.sampled_from(["none", "none", "none", "truncate", "latin1", "garbage"]))
    if cut == "truncate":
        data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    elif cut == "latin1":
        data = text.encode("latin-1", "replace").replace(b"?", b"\xe9", 3)
    elif cut == "garbage":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


def _check(path: Path, importer) -> None:
    """An ImportResult that keeps its promises, or an InputFileError naming the file: from
    ``importer``, and from the importer the registry picks for the file when that is another."""
    try:
        found = detect(path, side="ims")
    except InputFileError as exc:
        assert exc.file == path.name and exc.reason
        found = importer
    for imp in dict.fromkeys([importer, found]):
        try:
            result = imp.read(path, ImportOptions())
        except InputFileError as exc:
            assert exc.file == path.name and exc.reason
            continue
        assert isinstance(result, ImportResult)
        docs = result.documents
        assert dict(docs.schema) == DOCUMENT_SCHEMA
        assert docs.height <= result.rows_read
        assert docs["doc_no"].null_count() == 0 and docs["doc_date"].null_count() == 0
        assert docs.select("src_sheet", "src_row").is_unique().all()  # one document per record
        rejected = {(i.sheet, i.row) for i in result.errors if i.row is not None}
        imported = set(zip(docs["src_sheet"], docs["src_row"], strict=True))
        assert len(imported) + len(rejected) <= result.rows_read
        assert all(i.file == path.name for i in result.issues)
        assert result.summary()["imported"] == docs.height


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(name=st.sampled_from(sorted(BASES)), data=st.data())
def test_mutated_downloads(fuzz_dir, name, data):
    base_path, importer = BASES[name]
    base = json.loads(base_path.read_text())
    doc = data.draw(mutated(base))
    path = fuzz_dir / f"{name}.json"
    path.write_bytes(_bytes(doc, data.draw))
    _check(path, importer)


# plausible values beside the breaking ones, so that some documents of a generated file import
_PLAUSIBLE = st.one_of(st.sampled_from(["27AAPFU0939F1ZV", "29AAGCB1286Q1Z0", "01-04-2025", "2025-04-01", "A1", "R",
                                        "N", "Y", "C", "D", "042025", "Apr-25", "27", 100, 18.0, "1,000.00", 0]),
                       _VALUES)
_IMS_FIELDS = ["stin", "ctin", "inum", "idt", "nt_num", "nt_dt", "oinum", "oidt", "val", "pos", "txval", "iamt",
               "camt", "samt", "cess", "action", "ispendactblocked", "isPendActBlocked", "srcform", "rtnTyp", "rtnprd",
               "sRtnPrd", "srcfilstatus", "inv_typ", "hash", "itcRedReq", "boenum", "boedt", "junk", "items"]
_2B_FIELDS = ["inum", "ntnum", "dt", "val", "pos", "rev", "typ", "suptyp", "itcavl", "rsn", "diffprcnt", "txval",
              "igst", "cgst", "sgst", "cess", "oinum", "oidt", "ontnum", "ontdt", "boenum", "boedt", "items", "junk"]
_2A_FIELDS = ["inum", "idt", "nt_num", "nt_dt", "ntty", "val", "pos", "rchrg", "inv_typ", "oinum", "oidt",
              "ont_num", "ont_dt", "benum", "bedt", "txval", "iamt", "csamt", "itms", "junk"]
_SUPPLIER = st.dictionaries(st.sampled_from(["ctin", "trdnm", "supprd", "cfs", "flprdr1", "sgstin", "tdname"]),
                            _PLAUSIBLE, max_size=4)


def _records(fields: list[str]) -> st.SearchStrategy:
    return st.lists(st.dictionaries(st.sampled_from(fields), _PLAUSIBLE, max_size=10) | _SCALARS, max_size=4)


def _grouped(fields: list[str], child: str) -> st.SearchStrategy:
    return st.lists(st.builds(lambda head, docs: {**head, child: docs}, _SUPPLIER, _records(fields)) | _VALUES,
                    max_size=3)


_GENERATED = {
    "ims": st.builds(lambda sections, env: {env: sections} if env else sections,
                     st.dictionaries(st.sampled_from(["b2b", "b2ba", "cn", "b2bdn", "b2bcna", "ecom", "impg", "isd"]),
                                     _records(_IMS_FIELDS), min_size=1, max_size=3),
                     st.sampled_from(["data", "imsDetails", ""])),
    "gstr2b": st.builds(lambda sections, period: {"data": {"rtnprd": period, "docdata": sections}},
                        st.dictionaries(st.sampled_from(["b2b", "b2ba", "cdnr", "cdnra", "ecom", "impg", "isd"]),
                                        _grouped(_2B_FIELDS, "inv") | _grouped(_2B_FIELDS, "nt"), max_size=3),
                        _PLAUSIBLE),
    "gstr2b_flat": st.builds(lambda docs: {"data": {"docdata": docs}}, st.lists(st.builds(
        lambda typ, doc: {"invoice_type": typ, **doc}, st.sampled_from(["B2B", "cdnr", "CDNR-A", "Impg_Sez", "ISD", "x"])
        | _VALUES, st.dictionaries(st.sampled_from(_2B_FIELDS + ["ctin", "supprd"]), _PLAUSIBLE, max_size=10)),
        max_size=5)),
    "gstr2a": st.builds(lambda sections, fp: {"fp": fp, **sections},
                        st.dictionaries(st.sampled_from(["b2b", "b2ba", "cdn", "cdna", "impg", "impgsez", "isd", "tds"]),
                                        _grouped(_2A_FIELDS, "inv") | _grouped(_2A_FIELDS, "nt"), max_size=3),
                        _PLAUSIBLE),
}


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(_GENERATED)), importer=st.sampled_from(IMPORTERS))
def test_generated_downloads(fuzz_dir, data, name, importer):
    """Downloads built from each kind's own field names with any values: sections whose records
    share no known field, numbers given as lists or objects, huge integers beside text numbers."""
    path = fuzz_dir / "generated.json"
    path.write_text(json.dumps(data.draw(_GENERATED[name]), allow_nan=True))
    _check(path, importer)


@FUZZ
@given(doc=_VALUES, importer=st.sampled_from(IMPORTERS), envelope=st.sampled_from(["", "data", "imsDetails", "docdata"]))
def test_random_json(fuzz_dir, doc, importer, envelope):
    path = fuzz_dir / "random.json"
    path.write_text(json.dumps({envelope: doc} if envelope else doc, allow_nan=True))
    _check(path, importer)


@FUZZ
@given(data=st.binary(max_size=200), importer=st.sampled_from(IMPORTERS))
def test_random_bytes(fuzz_dir, data, importer):
    path = fuzz_dir / "bytes.json"
    path.write_bytes(data)
    _check(path, importer)
