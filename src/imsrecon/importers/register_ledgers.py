"""Registers in "detailed" mode (Tally and others): each voucher's first row names the party and
the document, and the rows under it list the voucher's ledgers ("Purchase @18%", "Input CGST",
"Input SGST", "Round Off") with their amounts but no date, number or GSTIN. Those ledger rows are
read into their voucher: the tax ledgers give the tax heads the first row does not show, and then
the ledger rows go (each reported as info). Rows that name no ledger stay as they are
(and are reported as rows without a document number).
"""

from __future__ import annotations

import re

import polars as pl

from imsrecon.importers.register_columns import fold_type
from imsrecon.issues import RowIssue, Severity
from imsrecon.normalise.amounts import parse_amount_series

_IDENTITY = ("doc_no", "voucher_no", "voucher_date", "doc_date", "supplier_gstin")
_TAX_LEDGERS = {  # folded ledger name -> tax head
    "igst": re.compile(r"igst|integratedtax"),
    "cgst": re.compile(r"cgst|centraltax"),
    "sgst": re.compile(r"sgst|utgst|statetax|stateuttax|uttax"),
    "cess": re.compile(r"cess"),
}
_OTHER_LEDGERS = re.compile(r"purchase|roundoff|rounding|freight|discount|expense|packing|cartage|transport")


def _head(name: str) -> str | None:
    folded = fold_type(name)
    for head, pattern in _TAX_LEDGERS.items():
        if pattern.search(folded):
            return head
    return "" if _OTHER_LEDGERS.search(folded) else None


def _blank(col: str) -> pl.Expr:
    return pl.col(col).is_null() | (pl.col(col).cast(pl.String) == "")  # cells arrive stripped


def fold_ledger_lines(raw: pl.DataFrame, file: str) -> tuple[pl.DataFrame, list[RowIssue]]:
    """``raw`` (text cells named as model fields) with ledger rows read into their vouchers."""
    ids = [c for c in _IDENTITY if c in raw.columns]
    amount = next((c for c in ("taxable_value", "doc_value") if c in raw.columns), None)
    if raw.height == 0 or "supplier_name" not in raw.columns or not ids or amount is None:
        return raw, []
    if not raw.select(pl.all_horizontal(_blank(c) for c in ids).any()).item():
        return raw, []  # every row names its document: not a detailed register
    names = raw["supplier_name"].cast(pl.String).fill_null("").str.strip_chars()
    heads = names.unique().to_frame("n").with_columns(
        pl.col("n").map_elements(_head, return_dtype=pl.String).alias("h")
    )
    df = raw.with_row_index("_i").with_columns(
        names.alias("_name"),
        pl.all_horizontal(_blank(c) for c in ids).alias("_no_id"),
    ).join(heads, left_on="_name", right_on="n", how="left", maintain_order="left")
    ledger = pl.col("_no_id") & pl.col("h").is_not_null() & ~_blank(amount)
    # each ledger row belongs to the voucher row above it (rows before any voucher stay)
    df = df.with_columns(ledger.alias("_ledger"), (~ledger).cum_sum().alias("_v"))
    df = df.with_columns((pl.col("_ledger") & (pl.col("_v") > 0)).alias("_ledger"))
    if not df["_ledger"].any():
        return raw, []
    lines = df.filter("_ledger")
    lines = lines.with_columns(parse_amount_series(lines[amount]).alias("_amt"))
    taxes = (
        lines.filter(pl.col("h") != "")
        .group_by("_v", "h").agg(pl.col("_amt").sum())
        .pivot(on="h", index="_v", values="_amt")
    )
    voucher_line = df.filter(~pl.col("_ledger")).select("_v", pl.col("src_line").alias("_voucher_line"))
    issues = [
        RowIssue(Severity.INFO, file, row, None, name,
                 f"ledger line of the voucher on row {voucher}" + (": its tax is counted in that voucher" if head else ""),
                 sheet, line, "ledger_line")
        for row, line, sheet, name, head, voucher in lines.join(voucher_line, on="_v", how="left")
        .select("src_row", "src_line", "src_sheet", "_name", "h", "_voucher_line").iter_rows()
    ]
    vouchers = df.filter(~pl.col("_ledger")).join(taxes, on="_v", how="left", suffix="_ledgers")
    for head in (h for h in _TAX_LEDGERS if h in taxes.columns):
        if head in raw.columns:  # the voucher row's own figure stands where it has one
            ledgers = pl.col(f"{head}_ledgers").round(2).cast(pl.String)
            value = pl.when(_blank(head)).then(ledgers).otherwise(pl.col(head))
        else:
            value = pl.col(head).round(2).cast(pl.String)
        vouchers = vouchers.with_columns(value.alias(head))
    keep = [*raw.columns, *(h for h in _TAX_LEDGERS if h in taxes.columns and h not in raw.columns)]
    return vouchers.select(keep), issues
