"""The portal's action now (imsrecon.upload_state): the download's, or the one a later
successful upload set; documents of an upload still processing are held."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from imsrecon.upload_state import ITEM_COLUMNS, portal_action_now

S = "29AAGCB1286Q1Z0"
T0 = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)  # the download was imported


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def doc(**kw: Any) -> dict[str, Any]:
    return {"ims_section": "b2bcn", "supplier_gstin": S, "doc_no": "CN/25-26/7", "rtnprd": "032026",
            "imported_at": T0} | kw  # fmt: skip


def item(n: int, status: str, hours: float | None, action: str = "A", **kw: Any) -> dict[str, Any]:
    return {"id": n, "upload_id": n, "file_name": f"SAVE-{n}.json", "section": "b2bcn", "supplier_gstin": S,
            "doc_no": "CN/25-26/7", "rtnprd": "032026", "new_action": action, "status": status,
            "status_at": None if hours is None else at(hours)} | kw  # fmt: skip


ITEM_SCHEMA = {c: pl.String for c in ITEM_COLUMNS} | {"id": pl.Int64, "upload_id": pl.Int64,
                                                      "status_at": pl.Datetime("us", "UTC")}  # fmt: skip

# id -> (the document, its upload items, expected (portal_action, portal_action_from, upload_processing))
CASES: dict[str, tuple[dict, list[dict], tuple[str | None, str | None, str | None]]] = {
    "no uploads": (doc(), [], (None, None, None)),
    "uploaded after the download": (doc(), [item(1, "uploaded", 2)], ("A", "upload 1 (SAVE-1.json)", None)),
    "a newer download counts again": (doc(imported_at=at(5)), [item(1, "uploaded", 2)], (None, None, None)),
    "failed changes nothing": (doc(), [item(1, "failed", 2)], (None, None, None)),
    "never uploaded changes nothing": (doc(), [item(1, "not uploaded", None)], (None, None, None)),
    "processing is held": (doc(), [item(1, "processing", 1)], (None, None, "upload 1 (SAVE-1.json)")),
    "processing, even after a newer download": (doc(imported_at=at(5)), [item(1, "processing", 1)],
                                                (None, None, "upload 1 (SAVE-1.json)")),
    "processing, then a later upload confirmed": (doc(), [item(1, "processing", 1), item(2, "uploaded", 3, "R")],
                                                  ("R", "upload 2 (SAVE-2.json)", None)),
    "confirmed, then a later one processing": (doc(), [item(1, "uploaded", 1), item(2, "processing", 3, "R")],
                                               ("A", "upload 1 (SAVE-1.json)", "upload 2 (SAVE-2.json)")),
    "the later confirmation wins": (doc(), [item(2, "uploaded", 4, "P"), item(1, "uploaded", 3, "R")],
                                    ("P", "upload 2 (SAVE-2.json)", None)),
    "a reset sets N": (doc(), [item(1, "uploaded", 2, "N", file_name="RESET-1.json")],
                       ("N", "upload 1 (RESET-1.json)", None)),
    "number in another case, spaces": (doc(doc_no=" cn/25-26/7 "), [item(1, "uploaded", 2)],
                                       ("A", "upload 1 (SAVE-1.json)", None)),
    "supplier in lower case": (doc(supplier_gstin=S.lower()), [item(1, "uploaded", 2)],
                               ("A", "upload 1 (SAVE-1.json)", None)),
    "another return period": (doc(rtnprd="042026"), [item(1, "uploaded", 2)], (None, None, None)),
    "return period unknown": (doc(rtnprd=None), [item(1, "uploaded", 2)], ("A", "upload 1 (SAVE-1.json)", None)),
    "another section": (doc(ims_section="b2bcna"), [item(1, "uploaded", 2)], (None, None, None)),
    "another supplier": (doc(supplier_gstin="27AAPFU0939F1ZV"), [item(1, "uploaded", 2)], (None, None, None)),
    "another number": (doc(doc_no="CN/25-26/8"), [item(1, "uploaded", 2)], (None, None, None)),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_portal_action_now(case: str) -> None:
    document, items, expected = CASES[case]
    docs = pl.DataFrame([document], schema_overrides={"imported_at": pl.Datetime("us", "UTC"), "rtnprd": pl.String})
    out = portal_action_now(docs, pl.DataFrame(items, schema=ITEM_SCHEMA))
    assert out.columns == [*docs.columns, "portal_action", "portal_action_from", "upload_processing"]
    assert out.select("portal_action", "portal_action_from", "upload_processing").row(0) == expected


def test_many_documents_keep_their_order_and_rows() -> None:
    docs = pl.DataFrame([doc(doc_no=f"CN-{i}") for i in range(50)],
                        schema_overrides={"imported_at": pl.Datetime("us", "UTC")})  # fmt: skip
    items = [item(i, "uploaded", 1, "AR"[i % 2], doc_no=f"cn-{i}") for i in range(0, 50, 3)]
    items += [item(100 + i, "uploaded", 2, "P", doc_no=f"CN-{i}") for i in range(0, 50, 6)]  # later: wins
    out = portal_action_now(docs, pl.DataFrame(items, schema=ITEM_SCHEMA))
    assert out.height == 50 and out["doc_no"].to_list() == docs["doc_no"].to_list()
    expected = ["P" if i % 6 == 0 else ("AR"[i % 2] if i % 3 == 0 else None) for i in range(50)]
    assert out["portal_action"].to_list() == expected
