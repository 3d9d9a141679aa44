"""Checks on imported documents. Every finding is a warning: portal data is never rejected here."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from imsrecon.issues import RowIssue, Severity
from imsrecon.model import AMOUNT_HEADS, unregistered
from imsrecon.normalise.docno import DOC_NO_ALLOWED, MAX_DOC_NO_LENGTH, SCIENTIFIC_NUMBER, SPREADSHEET_NUMBER
from imsrecon.normalise.gstin import gstin_problems, state_code_expr

if TYPE_CHECKING:
    from imsrecon.importers.assemble import RawFrame

GST_START = dt.date(2017, 7, 1)
FUTURE_SLACK_DAYS = 31
TAX_HEAD_TOLERANCE = 1.0  # rupees: CGST and SGST may differ by rounding
# Supplies where IGST applies whatever the place of supply (SEZ, deemed exports, imports).
_ALWAYS_IGST_TYPES = ("SEWP", "SEWOP", "SEZWP", "SEZWOP", "DE", "CBW")


def validate_documents(docs: pl.DataFrame, raw: RawFrame, today: dt.date | None = None) -> list[RowIssue]:
    today = today or dt.date.today()
    checks: list[tuple[pl.Expr, str, str, str | pl.Expr, str]] = []
    df = docs.with_columns(
        _sup_problem=gstin_problems(docs["supplier_gstin"]),
        _rec_problem=gstin_problems(docs["recipient_gstin"]),
    )
    is_pr = raw.side.value == "pr"
    import_of_goods = pl.col("ims_section").fill_null("").str.starts_with("impg")
    checks.append((
        pl.col("supplier_gstin").is_null() & ~import_of_goods & ~unregistered(pl.col("flags")), "supplier_gstin", "supplier_gstin",
        "supplier GSTIN is blank" + (" and no other row of this party has one" if is_pr else ""),
        "gstin_blank",
    ))
    checks.append((
        pl.col("doc_no").str.len_chars() > MAX_DOC_NO_LENGTH, "doc_no", "doc_no",
        f"document number is longer than {MAX_DOC_NO_LENGTH} characters", "doc_no_length",
    ))
    as_number = pl.col("doc_no").str.contains(SPREADSHEET_NUMBER)
    scientific = pl.col("doc_no").str.contains(SCIENTIFIC_NUMBER)
    checks.append((
        as_number, "doc_no", "doc_no",
        "document number was saved as a spreadsheet number (12345.0): read as the digits before the "
        "point; format the column as text before exporting", "doc_no_number",
    ))
    checks.append((
        scientific, "doc_no", "doc_no",
        "document number was saved as a number in scientific notation and its last digits are lost: "
        "format the column as text and export again", "doc_no_scientific",
    ))
    checks.append((
        ~pl.col("doc_no").str.contains(DOC_NO_ALLOWED) & ~as_number & ~scientific, "doc_no", "doc_no",
        "document number has characters other than A-Z a-z 0-9 / -", "doc_no_chars",
    ))
    checks.append((
        (pl.col("doc_date") < GST_START) | (pl.col("doc_date") > today + dt.timedelta(days=FUTURE_SLACK_DAYS)),
        "doc_date", "doc_date", f"date is outside {GST_START:%d-%m-%Y} .. today", "date_range",
    ))
    if not is_pr:
        for head in (*AMOUNT_HEADS, "doc_value"):
            checks.append((pl.col(head) < 0, head, head, "IMS amounts should never be negative", "negative"))
    checks.append((
        (pl.col("cgst") - pl.col("sgst")).abs() > TAX_HEAD_TOLERANCE, "cgst", "cgst",
        "CGST and SGST differ", "cgst_sgst",
    ))
    inter_state = state_code_expr(pl.col("supplier_gstin")) != pl.col("place_of_supply")
    exempt = pl.col("inv_typ").fill_null("").str.to_uppercase().is_in(_ALWAYS_IGST_TYPES) | import_of_goods
    checks.append((
        ~exempt & inter_state & ((pl.col("cgst") + pl.col("sgst")) > 0) & (pl.col("igst") == 0),
        "cgst", "cgst", "CGST+SGST charged on an inter-state supply (IGST expected)", "tax_heads",
    ))
    checks.append((
        ~exempt & ~inter_state & (pl.col("igst") > 0) & ((pl.col("cgst") + pl.col("sgst")) == 0),
        "igst", "igst", "IGST charged on an intra-state supply (CGST+SGST expected)", "tax_heads",
    ))

    issues: list[RowIssue] = []
    issues += _per_value(df, raw, "supplier_gstin", "_sup_problem")
    issues += _per_value(df, raw, "recipient_gstin", "_rec_problem")
    for mask, column, value_col, reason, code in checks:
        reason_expr = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
        hits = df.filter(mask.fill_null(False)).select(
            "src_row", "src_line", "src_sheet", pl.col(value_col).cast(pl.String), reason_expr.alias("_reason")
        )
        issues += [
            RowIssue(Severity.WARNING, raw.file, r, raw.label(column, s), v, why, s, ln, code)
            for r, ln, s, v, why in hits.iter_rows()
        ]
    return issues


def _per_value(df: pl.DataFrame, raw: RawFrame, column: str, problem_col: str) -> list[RowIssue]:
    """A faulty GSTIN is reported once, on its first row, with how many other rows carry it."""
    hits = (
        df.filter(pl.col(problem_col).is_not_null() & pl.col(column).is_not_null())
        .group_by(column, maintain_order=True)
        .agg(pl.col("src_row").first(), pl.col("src_line").first(), pl.col("src_sheet").first(),
             pl.col(problem_col).first(), pl.len().alias("n"))
    )
    return [
        RowIssue(Severity.WARNING, raw.file, r, raw.label(column, s), value,
                 why + (f" (also on {n - 1} other rows)" if n > 1 else ""), s, ln, "gstin")
        for value, r, ln, s, why, n in hits.iter_rows()
    ]
