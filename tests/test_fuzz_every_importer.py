"""Fuzzing every importer through the path a user's file takes (``registry.read_file``: the kind
told by content, then that importer's read), starting from the real fixture of each kind — IMS
portal and offline JSON, the IMS offline tool's workbook, GSTR-2B JSON and the portal's GSTR-2B
workbook, GSTR-2A JSON, registers as CSV, XLSX and XLS — and mutating it: bytes flipped, cut,
repeated or spliced in, and, inside a workbook, its sheet XML edited (cells and references
mangled, the zip rebuilt so that the workbook still opens). Whatever comes out must be an
ImportResult whose every row issue names the file, or an InputFileError naming the file; never
another exception, and no library warning. The JSON importers and the register importer have
fuzz tests of their own (test_fuzz_json_importers.py, test_register_hostile.py) that build files
from scratch; this one covers the workbooks of the portal and the dispatch between kinds."""

from __future__ import annotations

import io
import os
import random
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsrecon.importers.base import ImportOptions, ImportResult
from imsrecon.importers.registry import read_file
from imsrecon.issues import InputFileError
from imsrecon.model import DOCUMENT_SCHEMA

DATA = Path(__file__).parent / "data"
FIXTURES = {
    "ims_portal.json": DATA / "ims" / "ims_portal.json",
    "ims_offline.json": DATA / "ims" / "ims_offline.json",
    "ims_offline.xlsx": DATA / "ims_excel" / "ims_offline.xlsx",
    "gstr2b.json": DATA / "gstr2b" / "gstr2b_sample.json",
    "gstr2b_flat.json": DATA / "gstr2b" / "gstr2b_gsp_flat.json",
    "gstr2b_portal.xlsx": DATA / "gstr2b_excel" / "gstr2b_portal.xlsx",
    "gstr2a.json": DATA / "gstr2a" / "gstr2a_offline.json",
    "tally.csv": DATA / "registers" / "tally_detailed.csv",
    "tally.xlsx": DATA / "registers" / "tally_title_rows.xlsx",
    "tally.xls": DATA / "registers" / "tally_title_rows.xls",
}
# IMSRECON_FUZZ_EXAMPLES=400 for a longer run (CI runs 40 a kind)
FUZZ = settings(max_examples=int(os.environ.get("IMSRECON_FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
# what a mangled cell may become: formulas, huge or non-finite numbers, control characters, markup
NASTY = ["=1+1", "1e308", "-1e400", "NaN", "99999999999999999999999", "\x00", "\r", "\x1f", "<b>", "&amp;",
         "﻿", "1,18,000.00", "31-02-2025", "Credit Note", "T", "", " " * 40, "Ａ", "9" * 40]


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        how = rng.choice(("flip", "cut", "repeat", "insert", "truncate"))
        i = rng.randrange(len(out)) if out else 0
        if how == "flip" and out:
            out[i] = rng.randrange(256)
        elif how == "cut":
            del out[i : i + rng.randint(1, 64)]
        elif how == "repeat":
            out[i:i] = out[i : i + rng.randint(1, 256)]
        elif how == "insert":
            out[i:i] = rng.choice(NASTY).encode("utf-8") or b"\xff\xfe"
        else:
            del out[i:]
    return bytes(out)


def _mutate_sheet_xml(xml: bytes, rng: random.Random) -> bytes:
    """Cells and references edited so that the XML mostly stays XML: values replaced, types changed,
    references moved far away, rows duplicated."""
    text = xml.decode("utf-8", "replace")
    for _ in range(rng.randint(1, 6)):
        how = rng.choice(("value", "type", "ref", "row", "dimension"))
        if how == "value":
            text = re.sub(r"<v>[^<]*</v>", lambda m: f"<v>{rng.choice(NASTY)}</v>" if rng.random() < 0.3 else m[0],
                          text)
        elif how == "type":
            text = re.sub(r' t="\w+"', lambda m: rng.choice(('', ' t="s"', ' t="b"', ' t="e"', ' t="str"', m[0])), text)
        elif how == "ref":
            text = re.sub(r' r="([A-Z]+)(\d+)"', lambda m: f' r="{rng.choice(("XFD", "AA", m[1]))}'
                          f'{rng.choice((m[2], "1048576", "0", "5"))}"' if rng.random() < 0.1 else m[0], text)
        elif how == "row":
            rows = re.findall(r"<row[^>]*>.*?</row>", text, flags=re.S)
            if rows:
                text = text.replace(rows[0], rows[0] * rng.randint(2, 4), 1)
        else:
            text = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{rng.choice(("B2", "XFD1048576", "Z9"))}"/>',
                          text)
    return text.encode("utf-8")


def _mutate_workbook(data: bytes, rng: random.Random) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    sheets = [n for n in names if re.match(r"xl/(worksheets/sheet\d+|sharedStrings)\.xml$", n)]
    chosen = set(rng.sample(sheets, k=min(len(sheets), rng.randint(1, 3))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            body = source.read(name)
            target.writestr(name, _mutate_sheet_xml(body, rng) if name in chosen else body)
    return out.getvalue()


def _assert_named_result(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warning reaches a user
        try:
            result = read_file(path, ImportOptions(recipient_gstin="27AAPFU0939F1ZV"))
        except InputFileError as exc:
            assert exc.file == path.name and exc.reason
            return
    assert isinstance(result, ImportResult)
    assert dict(result.documents.schema) == DOCUMENT_SCHEMA or result.documents.height == 0
    assert all(issue.file == path.name for issue in result.issues)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_fixture_reads_as_itself_before_it_is_mutated(tmp_path, name):
    """The starting points are real files of their kind (else the fuzz would only test refusals)."""
    path = tmp_path / name
    path.write_bytes(FIXTURES[name].read_bytes())
    result = read_file(path, ImportOptions(recipient_gstin="27AAPFU0939F1ZV"))
    assert result.documents.height > 0


@pytest.mark.parametrize("name", sorted(FIXTURES))
@FUZZ
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_files_of_every_kind_give_a_result_or_a_named_error(tmp_path, name, seed):
    rng = random.Random(seed)
    data = FIXTURES[name].read_bytes()
    if name.endswith(".xlsx") and rng.random() < 0.7:
        data = _mutate_workbook(data, rng)
    else:
        data = _mutate_bytes(data, rng)
    path = tmp_path / f"fuzz-{name}"
    path.write_bytes(data)
    _assert_named_result(path)
