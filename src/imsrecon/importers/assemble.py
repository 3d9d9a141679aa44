"""Turn a raw frame of text cells (columns already named as model fields) into documents.

Shared by every importer: parses amounts and dates, cleans GSTINs and numbers, derives the
financial year and tax period, and turns every unreadable cell into a row issue naming file,
row, column and value. Runs vectorised; only problem rows are touched one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from imsrecon.issues import RowIssue, Severity
from imsrecon.model import AMOUNT_HEADS, DOCUMENT_SCHEMA, Side, add_flag, conform, keep_rows
from imsrecon.normalise.amounts import amount_blank, parse_amount_series
from imsrecon.normalise.dates import (
    DAY_FIRST,
    MONTH_FIRST,
    DateOrderEvidence,
    date_order_evidence,
    financial_year_expr,
    parse_date_series,
    tax_period_expr,
)
from imsrecon.normalise.docno import doc_no_norm_expr
from imsrecon.normalise.flags import FLAG_FIELDS, flag_expr, flag_unreadable
from imsrecon.normalise.gstin import gstin_clean_expr
from imsrecon.normalise.scalar import per_distinct
from imsrecon.normalise.states import place_of_supply_expr
from imsrecon.validate import validate_documents

AMOUNT_FIELDS = (*AMOUNT_HEADS, "doc_value", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess")
DATE_FIELDS = ("doc_date", "orig_doc_date", "voucher_date")
_TRUE = ("y", "yes", "true", "1", "rcm", "reverse charge")


@dataclass
class RawFrame:
    """Text cells named as model fields, plus provenance columns src_row, src_line, src_sheet."""

    frame: pl.DataFrame
    file: str
    side: Side
    source_kind: str
    # model field -> the column name the user sees in the file (for messages)
    display: dict[str, str] = field(default_factory=dict)
    recipient_gstin: str | None = None
    # sheet (or IMS section) -> its own display names, where one frame holds several
    display_by_sheet: dict[str, dict[str, str]] = field(default_factory=dict)
    # day and month in numeric dates: DAY_FIRST or MONTH_FIRST, or None to tell from the dates
    date_order: str | None = None

    def label(self, name: str, sheet: str | None = None) -> str:
        """The column name the user sees for a model field (per sheet where sheets differ)."""
        by_sheet = self.display_by_sheet.get(sheet) if sheet is not None else None
        if by_sheet and name in by_sheet:
            return by_sheet[name]
        return self.display.get(name, name)


def _issues_where(
    raw: RawFrame, df: pl.DataFrame, mask: pl.Expr, column: str, reason: str, severity: Severity,
    value_col: str | None = None, code: str = "",
) -> list[RowIssue]:
    value_col = value_col or column
    cols = ["src_row", "src_line", "src_sheet"]
    sel = df.filter(mask).select(
        *cols, (pl.col(value_col).cast(pl.String) if value_col in df.columns else pl.lit(None)).alias("_v")
    )
    return [
        RowIssue(severity, raw.file, r, raw.label(column, s), v, reason, s, ln, code)
        for r, ln, s, v in sel.iter_rows()
    ]


def assemble(raw: RawFrame, keep: tuple[str, ...] = ()) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Parse, clean and check; return (documents in the fixed schema, row issues).

    ``keep`` names extra raw columns (as text) to append after the schema's columns."""
    df = raw.frame
    for col in ("src_line", "src_sheet"):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None).alias(col))
    issues: list[RowIssue] = []

    # 1. Parse once; a cell that is neither blank nor readable rejects its row.
    numeric = {n for n, t in df.schema.items() if t.is_numeric()}
    amounts = [n for n in AMOUNT_FIELDS if n in df.columns]
    dates = [n for n in DATE_FIELDS if n in df.columns]
    text_amounts = [n for n in amounts if n not in numeric]
    parsed = df.with_columns(
        [pl.col(n).cast(pl.String).str.strip_chars().alias(f"_raw_{n}") for n in text_amounts + dates]
        + [pl.col(n).cast(pl.Float64).round(2) for n in amounts if n in numeric]
    )
    order, order_issues = _date_order(raw, df, dates)
    issues += order_issues
    parsed = parsed.with_columns(
        [parse_date_series(parsed[n], order) for n in dates] + [parse_amount_series(parsed[n]) for n in text_amounts]
    )
    masks = {n: pl.col(n).is_null() & ~amount_blank(pl.col(f"_raw_{n}")) for n in text_amounts}
    masks |= {n: (pl.col(f"_raw_{n}").fill_null("") != "") & pl.col(n).is_null() for n in dates}
    # a column that parsed into no null at all has nothing unreadable: no need to look at its text
    nulls = parsed.select(pl.col(n).null_count() for n in masks).row(0) if masks else ()
    masks = {n: m if has_null else pl.lit(False) for (n, m), has_null in zip(masks.items(), nulls, strict=True)}
    blank_no = pl.col("doc_no").cast(pl.String).str.strip_chars().fill_null("") == ""
    parsed = parsed.with_columns([m.alias(f"_bad_{n}") for n, m in masks.items()] + [blank_no.alias("_bad_doc_no")])
    for n in masks:
        reason = "not a number" if n in text_amounts else "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"
        issues += _issues_where(raw, parsed, pl.col(f"_bad_{n}"), n, reason, Severity.ERROR,
                                value_col=f"_raw_{n}", code="amount" if n in text_amounts else "date")
    issues += _issues_where(raw, parsed, pl.col("_bad_doc_no"), "doc_no", "document number is blank",
                            Severity.ERROR, code="doc_no")
    bad_cols = [f"_bad_{n}" for n in masks] + ["_bad_doc_no"]
    parsed = parsed.with_columns(pl.any_horizontal(bad_cols).alias("_bad")).drop(bad_cols)

    # Portal flags in any spelling (Y/N, Yes/No, JSON true/false) become Y/N; others: blank, warned.
    flags_present = [f for f in FLAG_FIELDS if f in parsed.columns]
    for f in flags_present:
        issues += _issues_where(raw, parsed, flag_unreadable(pl.col(f)), f, "not Y/N (or Yes/No, true/false): "
                                "left blank", Severity.WARNING, code="flag")
    parsed = parsed.with_columns(flag_expr(pl.col(f)).alias(f) for f in flags_present)

    # 2. Blank document date: fall back to the voucher date (registers), flagged; else an error.
    flags = pl.col("flags") if "flags" in parsed.columns else pl.lit(None, pl.String)
    parsed = parsed.with_columns(flags.alias("flags"))
    if "doc_date" not in parsed.columns:
        parsed = parsed.with_columns(pl.lit(None, pl.Date).alias("doc_date"))
    ok = ~pl.col("_bad")
    if "voucher_date" in parsed.columns:
        use_voucher = ok & pl.col("doc_date").is_null() & pl.col("voucher_date").is_not_null()
        issues += _issues_where(
            raw, parsed, use_voucher, "doc_date",
            "supplier invoice date is blank: the voucher date is used", Severity.WARNING,
            value_col="voucher_date", code="doc_date_from_voucher",
        )
        parsed = parsed.with_columns(
            pl.when(use_voucher).then(pl.col("voucher_date")).otherwise(pl.col("doc_date")).alias("doc_date"),
            add_flag(use_voucher, "doc_date_from_voucher"),
        )
    no_date = ok & pl.col("doc_date").is_null()
    issues += _issues_where(raw, parsed, no_date, "doc_date", "document date is blank", Severity.ERROR, code="date")
    parsed = parsed.with_columns((pl.col("_bad") | no_date).alias("_bad"))

    # 3. Signs: a register row booked with negative amounts is a credit note with positive ones.
    present_heads = [h for h in (*AMOUNT_HEADS, "doc_value") if h in parsed.columns]
    any_negative = pl.any_horizontal([pl.col(h) < 0 for h in present_heads]) if present_heads else pl.lit(False)
    if raw.side is Side.PR:
        parsed = parsed.with_columns(
            pl.when(any_negative & (pl.col("doc_class") == "invoice"))
            .then(pl.lit("credit_note"))
            .otherwise(pl.col("doc_class"))
            .alias("doc_class"),
            add_flag(any_negative, "negative_amounts"),
        ).with_columns([pl.col(h).abs() for h in present_heads])

    # 4. Derived fields.
    rec = gstin_clean_expr(pl.col("recipient_gstin")) if "recipient_gstin" in parsed.columns else pl.lit(None, pl.String)
    parsed = parsed.with_columns(
        gstin_clean_expr(pl.col("supplier_gstin")).alias("supplier_gstin")
        if "supplier_gstin" in parsed.columns else pl.lit(None, pl.String).alias("supplier_gstin"),
        rec.fill_null(pl.lit(raw.recipient_gstin, pl.String)).alias("recipient_gstin"),
        pl.col("doc_no").cast(pl.String).str.strip_chars().alias("doc_no"),
        doc_no_norm_expr(pl.col("doc_no")).alias("doc_no_norm"),
        per_distinct(pl.col("doc_date"), financial_year_expr, pl.String).alias("fy"),  # few distinct dates
        pl.lit(raw.side.value).alias("side"),
        pl.lit(raw.source_kind).alias("source_kind"),
        pl.lit(raw.file).alias("src_file"),
    )
    if "orig_doc_no" in parsed.columns:
        parsed = parsed.with_columns(
            pl.col("orig_doc_no").cast(pl.String).str.strip_chars().alias("orig_doc_no"),
            per_distinct(pl.col("orig_doc_no"), doc_no_norm_expr, pl.String).alias("orig_doc_no_norm"),  # mostly null
        )
    period_from = pl.col("voucher_date") if "voucher_date" in parsed.columns else pl.lit(None, pl.Date)
    period = tax_period_expr(pl.coalesce(period_from, pl.col("doc_date")))
    if "rtnprd" in parsed.columns:
        period = pl.coalesce(pl.col("rtnprd").cast(pl.String).str.zfill(6), period)
    parsed = parsed.with_columns(
        period.alias("tax_period"),
        per_distinct(pl.col("place_of_supply"), place_of_supply_expr, pl.String).alias("place_of_supply")
        if "place_of_supply" in parsed.columns else pl.lit(None, pl.String).alias("place_of_supply"),
        _bool_expr("reverse_charge", parsed.columns),
        *[pl.col(h).fill_null(0.0) for h in AMOUNT_HEADS if h in parsed.columns],
    )
    parsed = parsed.with_columns(pl.lit(0.0).alias(h) for h in AMOUNT_HEADS if h not in parsed.columns)
    total = pl.sum_horizontal([pl.col(h) for h in AMOUNT_HEADS]).round(2)
    current = pl.col("doc_value") if "doc_value" in parsed.columns else pl.lit(None, pl.Float64)
    parsed = parsed.with_columns(current.fill_null(total).alias("doc_value"))

    # only the columns that go on, and no copy at all when no row was rejected
    wanted = list(dict.fromkeys(c for c in (*parsed.columns, *keep) if c in DOCUMENT_SCHEMA or c in keep))
    good = parsed.select(*(c for c in wanted if c in parsed.columns), "_bad")
    del parsed
    good = keep_rows(good, ~pl.col("_bad")).drop("_bad")
    docs = conform(good.select([c for c in good.columns if c in DOCUMENT_SCHEMA]))
    issues += validate_documents(docs, raw)
    if keep:
        docs = docs.with_columns(good.select([c for c in keep if c in good.columns]))
    return docs, issues


def _date_order(raw: RawFrame, df: pl.DataFrame, dates: list[str]) -> tuple[str, list[RowIssue]]:
    """The order of day and month for the whole file (one export, one locale): as the user set it,
    else month-first only when some date can be read only that way and none only day-first. A
    file-level warning says so, naming the columns, so that a wrong guess is seen."""
    if raw.date_order is not None:
        return raw.date_order, []
    evidence = {n: date_order_evidence(df[n]) for n in dates}
    total = sum(evidence.values(), DateOrderEvidence())
    if total.order == DAY_FIRST:
        return DAY_FIRST, []
    columns = ", ".join(raw.label(n) for n, e in evidence.items() if e.month_first)
    reason = (
        f"dates read month-first (MM/DD/YYYY, as Excel writes them on a computer set to US English): "
        f"{total.month_first} distinct dates can only be month-first and none only day-first; "
        'if that is wrong, set date_order = "day_first" under [options] in a mapping file'
    )
    return MONTH_FIRST, [RowIssue(Severity.WARNING, raw.file, None, columns, total.example, reason, code="date_order")]


def _bool_expr(name: str, columns: list[str]) -> pl.Expr:
    if name not in columns:
        return pl.lit(False).alias(name)
    s = pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()
    return s.is_in(_TRUE).fill_null(False).alias(name)
