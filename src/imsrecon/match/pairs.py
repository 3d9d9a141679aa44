"""From pairs of row indices to result rows: the one place that builds the result contract."""

from __future__ import annotations

import polars as pl

from imsrecon.result import MatchStatus, conform_result

# Pairs frame: one row per result row.
PAIRS_SCHEMA: dict[str, pl.DataType] = {
    "ims_idx": pl.UInt32,  # row index into the IMS-side documents, null for register-only rows
    "pr_idx": pl.UInt32,  # row index into the register documents, null for IMS-only rows
    "match_status": pl.String,
    "differences": pl.String,
    "score": pl.Float64,
    "nearest_candidate": pl.String,
    "nearest_score": pl.Float64,
    "nearest_ruled_out_by": pl.String,
    "note": pl.String,  # free text the recommendation adds to its reason
    "comparison": pl.String,  # every field's level for the pair
}

_IMS_COLS = {
    "ims_section": "ims_section",
    "supplier_gstin": "ims_supplier_gstin",
    "doc_no": "ims_doc_no",
    "doc_date": "ims_doc_date",
    "taxable_value": "ims_taxable_value",
    "igst": "ims_igst",
    "cgst": "ims_cgst",
    "sgst": "ims_sgst",
    "cess": "ims_cess",
    "doc_value": "ims_doc_value",
    "src_file": "ims_file",
    "src_row": "ims_row",
    "action": "ims_action",
    "ispendactblocked": "ims_ispendactblocked",
    "srcfilstatus": "ims_srcfilstatus",
    "tax_period": "ims_tax_period",
    "supplier_name": "ims_supplier_name",  # GSTR-2B's trade name where a 2B record was merged in
    "itc_availability": "itc_availability",
    "itc_reason": "itc_reason",
    "applicable_pct": "applicable_pct",
    "gstr2b_period": "gstr2b_period",
    "side": "ims_side",
    "reverse_charge": "_ims_reverse_charge",
    "doc_class": "_ims_class",
    "recipient_gstin": "_ims_recipient",
    "fy": "_ims_fy",
    "doc_no_norm": "_ims_norm",
}
_PR_COLS = {
    "src_file": "pr_file",
    "src_row": "pr_row",
    "src_sheet": "pr_sheet",
    "src_line": "pr_line",
    "supplier_gstin": "pr_supplier_gstin",
    "supplier_name": "pr_supplier_name",
    "doc_no": "pr_doc_no",
    "doc_date": "pr_doc_date",
    "taxable_value": "pr_taxable_value",
    "igst": "pr_igst",
    "cgst": "pr_cgst",
    "sgst": "pr_sgst",
    "cess": "pr_cess",
    "doc_value": "pr_doc_value",
    "tax_period": "pr_tax_period",
    "flags": "pr_flags",
    "reverse_charge": "reverse_charge",
    "doc_class": "_pr_class",
    "recipient_gstin": "_pr_recipient",
    "fy": "_pr_fy",
    "doc_no_norm": "_pr_norm",
    "nil_rated_value": "pr_nil_rated_value",  # nil-rated lines kept out of the register row's taxable value
}
SOURCE_COLUMNS = (*_IMS_COLS, *_PR_COLS)  # the document columns the result is built from
_CLASS_CODE = {"invoice": "INV", "credit_note": "CN", "debit_note": "DN"}


def build_result(ims: pl.DataFrame, pr: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Result rows in a stable order (IMS file order, then register-only rows in file order)."""
    # the order first, on the narrow pairs: the wide result is then built in place, never sorted
    order = pl.when(pl.col("ims_idx").is_not_null()).then(pl.col("ims_idx").cast(pl.Int64)).otherwise(
        pl.col("pr_idx").cast(pl.Int64) + ims.height
    )
    pairs = pairs.sort(order)
    # row indices: a gather (a null index gives a null row) is much cheaper than a join
    ims_side = ims.select([pl.col(k).gather(pairs["ims_idx"]).alias(v) for k, v in _IMS_COLS.items()])
    pr_side = pr.select([pl.col(k).gather(pairs["pr_idx"]).alias(v) for k, v in _PR_COLS.items()])
    df = (
        pl.concat([pairs, ims_side, pr_side], how="horizontal")
        .with_columns(
            pl.coalesce("_ims_class", "_pr_class").alias("doc_class"),
            pl.coalesce("_ims_recipient", "_pr_recipient").alias("recipient_gstin"),
            pl.coalesce("_ims_fy", "_pr_fy").alias("fy"),
            # under reverse charge on either side (a GSTR-2B document, or the register row)
            pl.when(pl.col("_ims_reverse_charge").fill_null(False) | pl.col("reverse_charge").fill_null(False))
            .then(True).otherwise(pl.col("reverse_charge")).alias("reverse_charge"),
        )
    )
    if pr["nil_rated_value"].is_not_null().any():  # a register with nil-rated lines (rare: no copy otherwise)
        df = df.with_columns(_with_nil_rated(pl.col("comparison")).alias("comparison"))
    keys = _disambiguate(df.select(matching_key_expr().alias("matching_key"), "ims_idx", "pr_idx"))
    df = df.with_columns(
        keys["matching_key"],
        pl.col("differences").fill_null(""),
        pl.col("score").fill_null(0.0),
    )
    drop = [c for c in df.columns if c.startswith("_") or c.endswith("_idx") or c == "note"]
    return conform_result(df.with_columns(pl.col("note").alias("reason")).drop(drop))


def _with_nil_rated(comparison: pl.Expr) -> pl.Expr:
    """A pair's comparison ends with ``nil_rated=<amount>`` where the register row's nil-rated lines
    were kept out of its compared taxable value."""
    nil = pl.col("pr_nil_rated_value")
    shown = pl.when(comparison.is_not_null() & (nil > 0)).then(
        pl.format("{} nil_rated={}", comparison, nil.round(2).cast(pl.String)))
    return shown.otherwise(comparison)


def matching_key_expr() -> pl.Expr:
    """Stable across runs: the document's identity, readable so that users can filter by it.

    IMS documents: ``IMS/<section>/<supplier GSTIN>/<normalised number>/<FY>``; register rows
    without an IMS partner: ``PR/<class>/<supplier GSTIN>/<normalised number>/<FY>``.
    """
    ims_key = pl.format(
        "IMS/{}/{}/{}/{}",
        pl.col("ims_section").str.to_uppercase(),
        pl.col("ims_supplier_gstin").fill_null("NOGSTIN"),
        pl.col("_ims_norm"),
        pl.col("_ims_fy"),
    )
    pr_key = pl.format(
        "PR/{}/{}/{}/{}",
        pl.col("_pr_class").replace_strict(_CLASS_CODE, default="DOC"),
        pl.col("pr_supplier_gstin").fill_null("NOGSTIN"),
        pl.col("_pr_norm"),
        pl.col("_pr_fy"),
    )
    register_only = pl.col("ims_idx").is_null() | (
        pl.col("match_status") == MatchStatus.DUPLICATE.value
    )
    return pl.when(register_only).then(pr_key).otherwise(ims_key)


def _disambiguate(df: pl.DataFrame) -> pl.DataFrame:
    """Equal keys (a register row booked twice, the same number in two IMS files) get #2, #3 …
    in file order, so that every result row has its own key. Equal keys have equal hashes, so
    only the rows whose key's hash repeats are looked at (a collision only looks at a row more)."""
    maybe = df.select(pl.col("matching_key").hash().is_duplicated()).to_series()
    if not maybe.any():
        return df
    rows = df.with_row_index("_pos").filter(maybe).filter(pl.col("matching_key").is_duplicated())
    n = pl.int_range(pl.len()).over("matching_key", order_by=[pl.coalesce("ims_idx", "pr_idx"), "pr_idx"])
    renamed = rows.with_columns(n.alias("_n")).select(
        "_pos", pl.when(pl.col("_n") == 0).then(pl.col("matching_key"))
        .otherwise(pl.format("{}#{}", pl.col("matching_key"), pl.col("_n") + 1)).alias("matching_key"),
    )
    return df.with_columns(df["matching_key"].scatter(renamed["_pos"], renamed["matching_key"]))
