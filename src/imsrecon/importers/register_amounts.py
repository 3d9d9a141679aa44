"""Amount cells of a register that need more than parsing: tax ledger columns summed into one head
("Input CGST @9%" + "Input CGST @6%"), pandas' "NaN" for an empty cell, and magnitudes beyond any
real invoice."""

from __future__ import annotations

import polars as pl

from imsrecon.importers.assemble import RawFrame
from imsrecon.issues import RowIssue, Severity
from imsrecon.model import AMOUNT_HEADS
from imsrecon.normalise.amounts import (
    MAX_PLAUSIBLE_AMOUNT,
    NAN_TEXT,
    PLAUSIBLE_TEXT,
    amount_expr,
    amount_unreadable,
)

_NAN_REASON = "NaN (what pandas writes for an empty cell): read as blank"


def summed_amount(headers: tuple[str, ...]) -> pl.Expr:
    """Several ledger-wise columns of one head, as one text cell: their sum (blank cells count as
    zero), or — where a cell is not a number — that cell's text, so that the row is rejected with
    it (never a silent zero)."""
    unreadable = pl.coalesce([pl.when(amount_unreadable(pl.col(h))).then(pl.col(h)) for h in headers])
    total = pl.sum_horizontal([amount_expr(pl.col(h)).fill_null(0.0) for h in headers]).round(2).cast(pl.String)
    return pl.coalesce(unreadable, total)


def nan_cells(
    frame: pl.DataFrame, columns: dict[str, tuple[str, ...]], file: str, amount_fields: tuple[str, ...]
) -> list[RowIssue]:
    """A warning for every amount cell that says NaN (it is read as blank)."""
    issues = []
    headers = [h for f in amount_fields for h in columns.get(f, ())]
    if not headers or frame.height == 0:
        return issues
    said = frame.select(
        [pl.col(h).str.strip_chars().str.to_lowercase().is_in(NAN_TEXT).fill_null(False).alias(h) for h in headers]
    )
    for h in (h for h in headers if said[h].any()):
        hits = frame.filter(said[h]).select("src_row", "src_line", "src_sheet", pl.col(h))
        issues += [RowIssue(Severity.WARNING, file, r, h, v, _NAN_REASON, s, ln, "amount_nan")
                   for r, ln, s, v in hits.iter_rows()]
    return issues


def implausible_amounts(docs: pl.DataFrame, raw: RawFrame) -> list[RowIssue]:
    """A warning for every amount of ₹10^13 or more (MAX_PLAUSIBLE_AMOUNT): no invoice is that large."""
    heads = [h for h in (*AMOUNT_HEADS, "doc_value") if h in raw.display]  # columns of the file, not totals
    if docs.height == 0:
        return []
    big = docs.select([(pl.col(h).abs() >= MAX_PLAUSIBLE_AMOUNT).fill_null(False).alias(h) for h in heads])
    issues = []
    for h in (h for h in heads if big[h].any()):
        hits = docs.filter(big[h]).select("src_row", "src_line", "src_sheet", pl.col(h))
        issues += [RowIssue(Severity.WARNING, raw.file, r, raw.label(h, s), f"{v:.6g}",
                            f"an amount of {PLAUSIBLE_TEXT} or more is beyond any real invoice: "
                            "check the cell (scientific notation, digits of two cells run together?)", s, ln, "amount_implausible")
                   for r, ln, s, v in hits.iter_rows()]
    return issues
