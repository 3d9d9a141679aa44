"""Small document sets written by hand, for engine and reconciliation tests."""

from __future__ import annotations

import datetime as dt

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.model import conform
from imsrecon.normalise.dates import financial_year
from imsrecon.normalise.docno import normalise_doc_no
from imsrecon.reconcile import reconcile

R = "27AAPFU0939F1ZV"
S1 = "27AAPFU0939F1ZV"
S2 = "29AAGCB1286Q1Z0"


def doc(side: str, no: str, date: str = "2025-04-01", supplier: str = S1, cls: str = "invoice",
        tv: float = 1000.0, igst: float = 0.0, cgst: float = 90.0, sgst: float = 90.0, row: int = 1,
        **extra) -> dict:
    d = dt.date.fromisoformat(date)
    norm = normalise_doc_no(no)
    base = {
        "side": side, "source_kind": "test", "src_file": f"{side}.file", "src_row": row,
        "recipient_gstin": R, "supplier_gstin": supplier, "doc_class": cls, "doc_no": no,
        "doc_no_norm": norm, "doc_date": d, "fy": financial_year(d), "taxable_value": tv, "igst": igst,
        "cgst": cgst, "sgst": sgst, "cess": 0.0, "doc_value": tv + igst + cgst + sgst,
        "reverse_charge": False,
    }
    if side == "ims":
        base |= {"ims_section": {"invoice": "b2b", "credit_note": "b2bcn", "debit_note": "b2bdn"}[cls],
                 "action": "N", "ispendactblocked": "N"}
    if "orig_doc_no" in extra:
        base["orig_doc_no_norm"] = normalise_doc_no(extra["orig_doc_no"])
    return base | extra


def pairs_of(result: pl.DataFrame) -> dict[str, tuple[str, int | None]]:
    """IMS number -> (status, register row) for every IMS row of a result."""
    ims = result.filter(pl.col("ims_doc_no").is_not_null())
    return {r["ims_doc_no"]: (r["match_status"], r["pr_row"]) for r in ims.iter_rows(named=True)}


def frame(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, infer_schema_length=None)) if rows else conform(pl.DataFrame())


def run(ims_rows, pr_rows, **cfg):
    return reconcile(frame(ims_rows), frame(pr_rows), MatchConfig(**cfg)).result


