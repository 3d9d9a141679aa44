"""Line rows of one document summed into the document, and the nil-rated lines of a taxed invoice
kept out of its compared taxable value.

A register lists a document line by line when it has a voucher number (the rows of one voucher),
a rate column (one row per rate) or an item column (one row per item). A register with none of
those may still be line-wise: when repeats of one supplier, number and date with other amounts
are the norm in the file (at least half of its rows, in two documents or more: see
:func:`lines_are_the_norm`), they are the lines of one document; when they are the exception,
they are a document booked in parts and matching decides (match/parts.py). Rows that repeat
each other exactly stay apart either way: a double booking.
"""

from __future__ import annotations

import polars as pl

from imsrecon.issues import RowIssue, Severity
from imsrecon.model import AMOUNT_HEADS, add_flag

IDENTITY = ["src_sheet", "supplier_gstin", "doc_no_norm", "doc_date", "doc_class"]
LINE_WISE_SHARE = 0.5  # of the rows: repeats with other amounts are the norm from this share on
LINE_WISE_MIN_DOCUMENTS = 2
NIL_RATED_FLAG = "nil_rated_lines"
TAX_HEADS = ("igst", "cgst", "sgst", "cess")
# what a rate column says of a line that bears no tax (folded to letters and digits)
_NIL_RATES = ("nil", "nilrated", "exempt", "exempted", "nongst", "zero", "zerorated", "0", "00", "000", "0000")


def lines_are_the_norm(docs: pl.DataFrame) -> tuple[bool, int, int]:
    """(line-wise, rows in repeated identities with other amounts, such identities): line-wise when
    such rows make up at least LINE_WISE_SHARE of the file's rows, in LINE_WISE_MIN_DOCUMENTS
    identities or more."""
    if docs.height == 0:
        return False, 0, 0
    keyed = docs.select(pl.struct(IDENTITY).hash(3).alias("_id"), pl.struct(AMOUNT_HEADS).hash(5).alias("_line"))
    per = keyed.group_by("_id").agg(pl.len().alias("n"), pl.col("_line").n_unique().alias("lines"))
    multi = per.filter(pl.col("lines") > 1)
    rows = int(multi["n"].sum() or 0)
    return multi.height >= LINE_WISE_MIN_DOCUMENTS and rows >= LINE_WISE_SHARE * docs.height, rows, multi.height


def aggregate_lines(
    docs: pl.DataFrame, has_rate: bool, has_voucher: bool, file: str, has_item: bool = False
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Several rows of one voucher (same voucher number and supplier number), or rows of one
    document at different tax rates, or the item rows of one document (an item-wise register), or
    the repeated rows of a line-wise register, become one document with summed amounts. Rows that
    repeat each other exactly (same rate, or same item and amounts) are a double booking and stay
    apart. The document keeps the first row's provenance and a flag; each merge is reported."""
    extra = [c for c in ("rate", "item") if c in docs.columns]
    if docs.height == 0:
        return docs.drop(extra), []
    issues: list[RowIssue] = []
    df = docs.with_row_index("_i")
    single = pl.col("_i").cast(pl.UInt64) + 1  # a group of its own (hashes of structs are never this small)
    if has_voucher:
        keys = ["src_sheet", "voucher_no", "supplier_gstin", "doc_no_norm", "doc_class"]
        group = pl.when(pl.col("voucher_no").is_not_null()).then(pl.struct(keys).hash()).otherwise(single)
    elif has_rate or has_item:
        eligible = pl.col("item" if has_item else "rate").is_not_null()
        group = pl.when(eligible).then(pl.struct(IDENTITY).hash()).otherwise(single)
    else:
        line_wise, rows, documents = lines_are_the_norm(docs)
        if not line_wise:
            return docs.drop(extra), []
        issues.append(RowIssue(
            Severity.INFO, file, None, None, None,
            f"{rows:,} of {docs.height:,} rows repeat another row's supplier, number and date with other amounts "
            f"({documents:,} documents): the register lists documents line by line, so their lines are summed",
            code="line_wise"))
        # the k-th copy of an identical line belongs to the k-th booking of the document
        copy = pl.int_range(pl.len()).over([*IDENTITY, *AMOUNT_HEADS])
        group = pl.struct(*IDENTITY, copy.alias("_copy")).hash()
    df = df.with_columns(group.alias("_g"))
    df = df.with_columns(pl.len().over("_g").alias("_n"))
    if not has_voucher and (has_rate or has_item):  # lines only when they differ (repeats = a double booking)
        line = pl.struct("item", *AMOUNT_HEADS) if has_item else pl.col("rate")
        df = df.with_columns(
            pl.when(line.n_unique().over("_g") == pl.col("_n")).then(pl.col("_g")).otherwise(single).alias("_g")
        ).with_columns(pl.len().over("_g").alias("_n"))
    singles = df.filter(pl.col("_n") == 1)
    multi = df.filter(pl.col("_n") > 1)
    if multi.height == 0:
        return docs.drop(extra), issues
    multi = multi.with_columns(_nil_line(multi).alias("_nil"))
    taxed = pl.any_horizontal([pl.col(h).sum() > 0 for h in TAX_HEADS])
    nil = pl.col("_nil") & taxed  # a nil-rated line counts only on an invoice that bears tax
    value_same = pl.col("doc_value").n_unique() == 1
    merged = multi.group_by("_g", maintain_order=True).agg(
        pl.exclude(*AMOUNT_HEADS, "doc_value", "_n", "flags", "nil_rated_value", "_nil").first(),
        pl.col("taxable_value").filter(~nil).sum(),
        *[pl.col(h).sum() for h in TAX_HEADS],
        pl.when(value_same).then(pl.col("doc_value").first()).otherwise(pl.col("doc_value").sum()).alias("doc_value"),
        pl.col("flags").first(),
        pl.col("taxable_value").filter(nil).sum().alias("nil_rated_value"),
        pl.col("src_line").filter(nil).alias("_nil_lines"),
        pl.col("src_row").filter(nil).alias("_nil_rows"),
        pl.col("src_line").alias("_lines"),
        pl.col("src_row").alias("_rows"),
    )
    has_nil = pl.col("nil_rated_value") > 0
    merged = merged.with_columns(
        pl.when(has_nil).then(pl.col("nil_rated_value")).otherwise(None).alias("nil_rated_value")
    ).with_columns(add_flag(pl.lit(True), "lines_summed")).with_columns(add_flag(has_nil, NIL_RATED_FLAG))
    for rows, lines, sheet, doc_no, nil_value, nil_rows, nil_lines in merged.select(
        "_rows", "_lines", "src_sheet", "doc_no", "nil_rated_value", "_nil_rows", "_nil_lines"
    ).iter_rows():
        shown = lines if lines[0] is not None else rows
        issues.append(RowIssue(Severity.INFO, file, rows[0], None, doc_no,
                               f"rows {', '.join(str(x) for x in shown)} are lines of one document: amounts summed",
                               sheet, lines[0], "lines_summed"))
        if nil_value:
            named = nil_lines if nil_lines and nil_lines[0] is not None else nil_rows
            issues.append(RowIssue(
                Severity.INFO, file, rows[0], None, doc_no,
                f"row{'s' if len(named) > 1 else ''} {', '.join(str(x) for x in named)}: nil-rated line"
                f"{'s' if len(named) > 1 else ''} (no tax) of a taxed invoice, taxable value {nil_value:.2f}: kept "
                "out of the taxable value compared with IMS, which carries the taxed lines only (nil_rated_value)",
                sheet, lines[0], "nil_rated"))
    cols = [c for c in docs.columns if c not in extra]
    out = pl.concat([singles.select("_i", *cols), merged.select("_i", *cols)], how="vertical_relaxed").sort("_i")
    return out.drop("_i"), issues


def _nil_line(lines: pl.DataFrame) -> pl.Expr:
    """Lines that bear no tax at all on a taxable value, at a rate of 0 % (or Nil, Exempt, a dash)
    where the register has a rate column."""
    untaxed = pl.all_horizontal([pl.col(h).fill_null(0.0) == 0 for h in TAX_HEADS]) & (pl.col("taxable_value") > 0)
    if "rate" not in lines.columns:
        return untaxed
    folded = pl.col("rate").cast(pl.String).str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    zero = pl.col("rate").cast(pl.String).str.replace_all(r"[%\s]", "").cast(pl.Float64, strict=False) == 0
    # a rate of 0, a word (Nil, Exempt), or a dash or N/A: no rate at all
    return untaxed & (pl.col("rate").is_null() | folded.is_in([*_NIL_RATES, "", "na"]) | zero.fill_null(False))
