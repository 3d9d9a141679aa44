"""Register-only rules: total rows, document classes from voucher types, GSTINs from party names
(line rows of one document are summed in register_lines)."""

from __future__ import annotations

import re

import polars as pl

from imsrecon.importers.register_columns import AMBIGUOUS_TYPES, DOCUMENT_TYPES, MODE_VALUES, NOTE, ColumnMapping
from imsrecon.issues import RowIssue, Severity
from imsrecon.model import UNREGISTERED_FLAG, add_flag, unregistered
from imsrecon.normalise.gstin import gstin_clean_expr
from imsrecon.normalise.scalar import per_distinct
from imsrecon.sections import DocClass

_TOTAL_WORDS = r"(?i)^\s*(grand\s*total|sub\s*-?\s*total|total|opening\s+balance|closing\s+balance|carried\s+over|brought\s+forward)\b"


def skip_total_rows(
    frame: pl.DataFrame, headers: list[str], columns: dict[str, tuple[str, ...]], file: str,
    sheet: str | None,
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Rows without a document number that say Total / Grand Total / Opening balance, or that hold
    nothing but amounts (an unlabelled totals line), are report furniture, not documents: left
    out, each reported as info."""
    id_cols = [h for f in ("doc_no", "voucher_no") for h in columns.get(f, ())]
    if not id_cols:
        return frame, []

    def blank(h: str) -> pl.Expr:
        return pl.col(h).is_null() | (pl.col(h) == "")

    no_id = pl.all_horizontal([blank(h) for h in id_cols])
    says_total = pl.any_horizontal([pl.col(h).fill_null("").str.contains(_TOTAL_WORDS) for h in headers])
    describing = [h for f in ("supplier_gstin", "supplier_name", "doc_date", "voucher_date", "voucher_type")
                  for h in columns.get(f, ())]
    amounts_only = pl.all_horizontal([blank(h) for h in describing]) if describing else pl.lit(False)
    numbered = frame.with_row_index("_pos")
    candidates = numbered.filter(no_id)  # few rows: only these are read closely
    mask = says_total | amounts_only
    hits = candidates.filter(mask)
    issues = []
    for row in hits.iter_rows(named=True):
        label = next((row[h] for h in headers if row[h] and re.match(_TOTAL_WORDS, row[h])), None)
        issues.append(RowIssue(Severity.INFO, file, row["src_row"], None, label,
                               "total row left out (not a document)" if label else "row with amounts only (a totals line) left out", sheet, row["src_line"], "total_row"))
    if hits.height == 0:
        return frame, issues
    return numbered.join(hits.select("_pos"), on="_pos", how="anti").drop("_pos"), issues


def _folded(voucher_type: pl.Expr) -> pl.Expr:
    return voucher_type.fill_null("").str.to_lowercase().str.replace_all(r"[^a-z]", "")


def _says(col: str, words: tuple[str, ...]) -> pl.Expr:
    """Whether a cell, folded to its letters, is one of ``words`` (read once per distinct value)."""
    return per_distinct(pl.col(col).cast(pl.String), lambda c: _folded(c).is_in(words), pl.Boolean).fill_null(False)


def _document_class(voucher_type: pl.Expr, types: dict[str, str]) -> pl.Expr:
    """doc_class from a voucher type: the exact (folded) names first, then what a name says:
    "Purchase GST 18%", "Purchase Return - Local" …; null when it says nothing known."""
    folded = _folded(voucher_type)
    by_words = (
        pl.when(folded.str.contains("creditnote|return|creditmemo")).then(pl.lit(DocClass.CREDIT_NOTE.value))
        .when(folded.str.contains("debitnote|debitmemo")).then(pl.lit(DocClass.DEBIT_NOTE.value))
        .when(folded.str.contains("^(purchase|bill|invoice|taxinvoice)")).then(pl.lit(DocClass.INVOICE.value))
    )  # fmt: skip
    return pl.coalesce(folded.replace_strict(types, default=None, return_dtype=pl.String), by_words)


def classify_documents(
    raw: pl.DataFrame, mapping: ColumnMapping | None, file: str, display: dict[str, str]
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """doc_class from the voucher/document type column; where a row has none, from its sheet's
    name when that says what the sheet holds ("Credit Notes", "Purchase Returns", "Debit Notes");
    else an invoice. Unknown types are read as invoices and reported, so that the user can map them."""
    if raw.height == 0:
        return raw.with_columns(pl.lit(None, pl.String).alias("doc_class")), []
    notes = {DocClass.CREDIT_NOTE.value, DocClass.DEBIT_NOTE.value}
    by_sheet = (
        per_distinct(pl.col("src_sheet").cast(pl.String), lambda v: _document_class(v, {}), pl.String)
        if "src_sheet" in raw.columns else pl.lit(None, pl.String)
    )
    by_sheet = pl.when(by_sheet.is_in(list(notes))).then(by_sheet)
    if "voucher_type" not in raw.columns:
        return raw.with_columns(pl.coalesce(by_sheet, pl.lit(DocClass.INVOICE.value)).alias("doc_class")), []
    types = {k: v.value for k, v in (mapping.document_type_map() if mapping else DOCUMENT_TYPES).items()}
    ruled = ledger_side_types(raw, mapping, file, display, by_sheet)
    if ruled is not None:
        return ruled
    # few distinct voucher types: each is read once
    out = raw.with_columns(
        per_distinct(pl.col("voucher_type"), lambda v: _document_class(v, types), pl.String).alias("_cls"),
        per_distinct(pl.col("voucher_type"), _folded, pl.String).alias("_folded"),
    )
    unknown = out.filter(pl.col("_cls").is_null() & (pl.col("_folded") != ""))
    issues = [
        RowIssue(Severity.WARNING, file, r, display.get("voucher_type"), v,
                 "unknown document type: read as an invoice (map it under [document_types] in a mapping file)",
                 s, ln, "doc_type")
        for r, ln, s, v in unknown.select("src_row", "src_line", "src_sheet", "voucher_type").iter_rows()
    ]
    blank_type = pl.col("_folded") == ""
    out = out.with_columns(
        pl.coalesce(pl.col("_cls"), pl.when(blank_type).then(by_sheet), pl.lit(DocClass.INVOICE.value)).alias("doc_class")
    )
    return out.drop("_cls", "_folded"), issues


MODE_PREFIX = "_mode:"  # raw columns that may say a row's kind of document (register_columns.mode_columns)
_DECISIVE = 0.8  # of the rows with a value: a column whose values say the kind this often decides it


def ledger_side_types(
    raw: pl.DataFrame, mapping: ColumnMapping | None, file: str, display: dict[str, str], by_sheet: pl.Expr
) -> tuple[pl.DataFrame, list[RowIssue]] | None:
    """A type column that says only CREDIT or DEBIT (Cr/Dr) names a ledger side as often as a kind of
    note: a purchase invoice is a credit to its supplier. When every value of the column is one of
    those words (and the mapping file does not name them), the class is read from another column
    that says it (a "Document Mode" of B2B: an invoice; CDNR: a note, whose kind the credit/debit
    word then gives), else the rows are invoices (negative amounts still make credit notes). Either
    way a file-level warning says so. None when the type column is not of that kind."""
    words = pl.col("voucher_type").cast(pl.String).str.to_lowercase().str.replace_all(r"[^a-z]", "")
    seen = set(raw.select(words.unique()).to_series().drop_nulls().to_list()) - {""}
    named = set(mapping.document_types) if mapping else set()
    if not seen or not seen <= set(AMBIGUOUS_TYPES) or seen & named:
        return None
    column = display.get("voucher_type", "voucher_type")
    values = "/".join(sorted(raw.select(pl.col("voucher_type").str.strip_chars().str.to_uppercase().unique())
                             .to_series().drop_nulls().to_list())[:4])
    decider = _deciding_column(raw)
    if decider is None:
        cls = pl.coalesce(by_sheet, pl.lit(DocClass.INVOICE.value))
        reason = (f"column {column!r} says only {values}, which reads as a ledger side (Cr/Dr) as well as a kind of "
                  "note, and no other column says what each row is: rows read as invoices (negative amounts as "
                  "credit notes); if they are notes, map the words under [document_types] in a mapping file")
    else:
        mode = per_distinct(pl.col(decider).cast(pl.String), _mode_class, pl.String)
        note = pl.when(words.is_in(["credit", "cr"])).then(pl.lit(DocClass.CREDIT_NOTE.value)).otherwise(
            pl.lit(DocClass.DEBIT_NOTE.value))
        cls = pl.coalesce(pl.when(mode == NOTE).then(note).otherwise(mode), by_sheet, pl.lit(DocClass.INVOICE.value))
        reason = (f"column {column!r} says only {values}, which reads as a ledger side (Cr/Dr) as well as a kind of "
                  f"note: each row's kind is read from column {decider.removeprefix(MODE_PREFIX)!r} (B2B: an "
                  f"invoice; a note section such as CDNR: {column!r} says credit or debit note)")
    issue = RowIssue(Severity.WARNING, file, None, column, values, reason, code="doc_type_ambiguous")
    return raw.with_columns(cls.alias("doc_class")), [issue]


def _mode_class(values: pl.Expr) -> pl.Expr:
    return values.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "").replace_strict(
        MODE_VALUES, default=None, return_dtype=pl.String)


def _deciding_column(raw: pl.DataFrame) -> str | None:
    """The first carried type/mode column whose values say a kind of document for most rows."""
    for col in (c for c in raw.columns if c.startswith(MODE_PREFIX)):
        text = pl.col(col).cast(pl.String).str.strip_chars()
        counts = raw.select(
            (text.fill_null("") != "").sum().alias("filled"),
            per_distinct(pl.col(col).cast(pl.String), _mode_class, pl.String).is_not_null().sum().alias("said"),
        ).row(0, named=True)
        if counts["filled"] and counts["said"] >= _DECISIVE * counts["filled"]:
            return col
    return None


def _party_key(col: pl.Expr) -> pl.Expr:
    return col.str.to_lowercase().str.replace_all(r"(?i)\b(m/s\.?|messrs\.?)", "").str.replace_all(r"[^a-z0-9]", "")


_NOT_IN_BOOKS = ("cancelled", "canceled", "void", "voided", "draft", "deleted")


def skip_cancelled(raw: pl.DataFrame, file: str) -> tuple[pl.DataFrame, list[RowIssue]]:
    """Cancelled, void and draft vouchers are not in the books: a status column saying so, or
    Tally's "(cancelled)" in the party column, leaves the row out (reported as info)."""
    if raw.height == 0:
        return raw, []
    said = pl.any_horizontal(pl.lit(False), *(_says(c, _NOT_IN_BOOKS) for c in ("status", "supplier_name")
                                               if c in raw.columns))
    df = raw.with_columns(said.alias("_out"))
    if not df["_out"].any():
        return raw, []
    value = pl.coalesce(*(pl.col(c).cast(pl.String) for c in ("status", "supplier_name") if c in raw.columns))
    issues = [
        RowIssue(Severity.INFO, file, r, None, v, "cancelled, void or draft voucher left out (not in the books)",
                 s, ln, "cancelled")
        for r, ln, s, v in df.filter("_out").select("src_row", "src_line", "src_sheet", value).iter_rows()
    ]
    return df.filter(~pl.col("_out")).drop("_out"), issues


# what registers write in the GSTIN column of a purchase from an unregistered supplier (folded)
_UNREGISTERED = ("urp", "unregistered", "unregd", "unreg", "unregistereddealer", "unregisteredperson",
                 "unregisteredsupplier", "unregisteredparty")


def mark_unregistered(raw: pl.DataFrame, file: str, display: dict[str, str]) -> tuple[pl.DataFrame, list[RowIssue]]:
    """A purchase from an unregistered supplier (GSTIN column "URP", "Unregistered", …) can never
    be in IMS: its GSTIN is left blank, the row is flagged and reported, and reconciliation keeps
    it out of IMS matching (no follow-up with a supplier who files nothing)."""
    if raw.height == 0 or "supplier_gstin" not in raw.columns:
        return raw, []
    df = raw.with_columns(_says("supplier_gstin", _UNREGISTERED).alias("_urp"))
    if not df["_urp"].any():
        return raw, []
    issues = [
        RowIssue(Severity.INFO, file, r, display.get("supplier_gstin"), v,
                 "unregistered supplier: kept out of IMS matching", s, ln, "unregistered")
        for r, ln, s, v in df.filter("_urp").select("src_row", "src_line", "src_sheet", "supplier_gstin").iter_rows()
    ]
    df = _with_flags(df).with_columns(
        pl.when("_urp").then(pl.lit(None, pl.String)).otherwise(pl.col("supplier_gstin")).alias("supplier_gstin"),
        add_flag(pl.col("_urp"), UNREGISTERED_FLAG),
    )
    return df.drop("_urp"), issues


def _with_flags(df: pl.DataFrame) -> pl.DataFrame:
    return df if "flags" in df.columns else df.with_columns(pl.lit(None, pl.String).alias("flags"))


def fill_gstin_from_party(
    raw: pl.DataFrame, file: str, display: dict[str, str]
) -> tuple[pl.DataFrame, list[RowIssue]]:
    """A blank supplier GSTIN takes the party's GSTIN where the party has exactly one elsewhere
    in the register; the row is flagged and reported."""
    if raw.height == 0 or "supplier_gstin" not in raw.columns or "supplier_name" not in raw.columns:
        return raw, []
    df = raw.with_columns(gstin_clean_expr(pl.col("supplier_gstin")).alias("supplier_gstin"))
    urp = unregistered(pl.col("flags")) if "flags" in df.columns else pl.lit(False)
    blank_parties = df.filter(pl.col("supplier_gstin").is_null() & ~urp).select(
        per_distinct(pl.col("supplier_name"), _party_key, pl.String).alias("_party")
    ).unique()
    if blank_parties.height == 0:
        return df, []
    df = df.with_columns(per_distinct(pl.col("supplier_name"), _party_key, pl.String).alias("_party"))
    known = (  # only the parties that have a blank row are looked up
        df.select("_party", "supplier_gstin").join(blank_parties, on="_party", how="semi")
        .filter(pl.col("supplier_gstin").is_not_null() & (pl.col("_party") != ""))
        .group_by("_party")
        .agg(pl.col("supplier_gstin").unique().alias("_gstins"))
    )
    # the parties' GSTINs as one more column (a join of the whole frame would copy every column)
    df = df.with_columns(df.select("_party").join(known, on="_party", how="left", maintain_order="left")["_gstins"])
    blank = pl.col("supplier_gstin").is_null() & pl.col("_gstins").is_not_null() & ~urp
    single = blank & (pl.col("_gstins").list.len() == 1)
    several = blank & (pl.col("_gstins").list.len() > 1)
    issues = []
    for r, ln, s, name, g in df.filter(single).select(
        "src_row", "src_line", "src_sheet", "supplier_name", pl.col("_gstins").list.first()
    ).iter_rows():
        issues.append(RowIssue(Severity.WARNING, file, r, display.get("supplier_gstin"), None,
                               f"supplier GSTIN is blank: filled with {g}, the only GSTIN of party {name!r}",
                               s, ln, "gstin_from_party"))
    for r, ln, s, name, gs in df.filter(several).select(
        "src_row", "src_line", "src_sheet", "supplier_name", "_gstins"
    ).iter_rows():
        issues.append(RowIssue(Severity.WARNING, file, r, display.get("supplier_gstin"), None,
                               f"supplier GSTIN is blank and party {name!r} has {len(gs)} GSTINs: not filled",
                               s, ln, "gstin_ambiguous"))
    df = _with_flags(df).with_columns(
        pl.when(single).then(pl.col("_gstins").list.first()).otherwise(pl.col("supplier_gstin")).alias("supplier_gstin"),
        add_flag(single, "supplier_gstin_from_party"),
    )
    return df.drop("_party", "_gstins"), issues
