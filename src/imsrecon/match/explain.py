"""Why a document stayed unpaired: its best candidate on the other side, that candidate's score,
and the field that ruled it out (or that a better match took it). Also sorts the register's
unpaired rows into missing-in-IMS and duplicates."""

from __future__ import annotations

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.match.candidates import IDENTITY, attach_sides
from imsrecon.match.compare import SIDE_FIELDS, compare_pairs
from imsrecon.match.numbers import with_cores
from imsrecon.result import MatchStatus

TAKEN = "taken by a better match"


def _describe(frame: pl.DataFrame, idx: str, side: str) -> pl.DataFrame:
    if side == "pr":
        text = pl.format("register row {}: {} of {}", pl.col("src_row"), pl.col("doc_no"), pl.col("doc_date"))
    else:
        text = pl.format("IMS {} {} of {}", pl.col("ims_section").str.to_uppercase(), pl.col("doc_no"), pl.col("doc_date"))
    return frame.select(pl.col(idx), text.alias("nearest_candidate"))


def _nearest_by_amount(
    own: pl.DataFrame, other: pl.DataFrame, own_idx: str, other_idx: str
) -> pl.DataFrame:
    """For documents without any candidate: the other side's document of the same supplier
    whose taxable value is nearest."""
    if own.height == 0 or other.height == 0:
        return pl.DataFrame(schema={own_idx: pl.UInt32, other_idx: pl.UInt32})
    by = ["_rec", "supplier_gstin", "doc_class"]
    group = pl.struct(by).hash(11).alias("_g")  # one integer for the asof join's groups
    a = own.select(own_idx, *by, "taxable_value").drop_nulls(["supplier_gstin"]).with_columns(group)
    b = other.select(other_idx, *by, pl.col("taxable_value").alias("_tv")).with_columns(group)
    b = b.join(a.select("_g").unique(), on="_g", how="semi")  # only the suppliers asked about
    near = a.sort("taxable_value").join_asof(
        b.rename({c: f"{c}_o" for c in by}).sort("_tv"), left_on="taxable_value", right_on="_tv", by="_g",
        strategy="nearest", check_sortedness=False,
    )
    # a hash collision (odds ~1e-12) could only offer another supplier's document: never shown
    near = near.filter(pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_o")) for c in by))
    return near.select(own_idx, other_idx).drop_nulls()


def _best(
    unpaired: pl.DataFrame, idx: str, compared: pl.DataFrame, paired_other: pl.Series, other_idx: str
) -> pl.DataFrame:
    best = (
        compared.join(unpaired.select(idx), on=idx, how="semi")
        .sort("score", descending=True)
        .unique(idx, keep="first")
    )
    taken = pl.col(other_idx).is_in(paired_other.implode())
    return best.select(
        idx, other_idx, pl.col("score").alias("nearest_score"),
        pl.when(pl.col("accept") & taken).then(pl.lit(TAKEN))
        .otherwise(pl.col("ruled_out_by")).alias("nearest_ruled_out_by"),
    )


def _explanations(
    unpaired: pl.DataFrame, own: pl.DataFrame, other: pl.DataFrame, idx: str, other_idx: str,
    compared: pl.DataFrame, paired_other: pl.Series, config: MatchConfig, other_side: str,
) -> pl.DataFrame:
    best = _best(unpaired, idx, compared, paired_other, other_idx)
    missing = unpaired.join(best, on=idx, how="anti")
    asked = own.select(idx, "_rec", "supplier_gstin", "doc_class", "taxable_value")  # narrow: cheap joins
    near = _nearest_by_amount(asked.join(missing.select(idx), on=idx, how="semi"), other, idx, other_idx)
    if near.height:
        ims_f, pr_f = (own, other) if idx == "i" else (other, own)
        fields = [f for f in SIDE_FIELDS if f not in ("core", "orig_core")] + ["orig_doc_no"]  # narrow: cheap joins
        ims_f = with_cores(ims_f.select("i", *fields).join(near.select("i"), on="i", how="semi"))
        pr_f = with_cores(pr_f.select("j", *fields).join(near.select("j"), on="j", how="semi"))
        pairs = attach_sides(near.select("i", "j"), ims_f, pr_f)
        best = pl.concat([best, _best(unpaired, idx, compare_pairs(pairs, config), paired_other, other_idx)])
    described = _describe(other.join(best.select(other_idx), on=other_idx, how="semi"), other_idx, other_side)
    return best.join(described, on=other_idx, how="left").drop(other_idx)


def explain_unpaired(
    left: pl.DataFrame, right: pl.DataFrame, open_l: pl.DataFrame, open_r: pl.DataFrame,
    copies: pl.DataFrame, paired: pl.DataFrame, compared: pl.DataFrame, config: MatchConfig,
) -> pl.DataFrame:
    """Rows (i or j, match_status, note, nearest_*) for every document left unpaired."""
    schema_cols = ["i", "j", "score", "accept", "ruled_out_by"]
    compared = compared.select(schema_cols) if compared.height else pl.DataFrame(
        schema={"i": pl.UInt32, "j": pl.UInt32, "score": pl.Float64, "accept": pl.Boolean, "ruled_out_by": pl.String}
    )
    # IMS documents with no register row
    ims_rows = open_l.select("i").with_columns(pl.lit(MatchStatus.MISSING_IN_PR.value).alias("match_status"))
    taken_j = pl.concat([paired["j"], copies["j"]])
    ims_why = _explanations(open_l.select("i"), left, right, "i", "j", compared, taken_j, config, "pr")
    ims_rows = ims_rows.join(ims_why, on="i", how="left")

    # register rows: repeats of a paired row, repeats of each other, or missing in IMS
    # (only paired rows that share an identity with an open row matter: match on a hash first)
    key = pl.struct(IDENTITY).hash(7).alias("_h")
    open_keys = open_r.select("j", key, *IDENTITY, "src_row")
    paired_keys = (
        right.select("j", key, *IDENTITY, pl.col("src_row").alias("_twin_row"))
        .join(open_keys.select("_h").unique(), on="_h", how="semi")
        .join(paired.select("j"), on="j", how="semi")
        .drop("j").unique(IDENTITY, keep="first", maintain_order=True)
    )
    rest = open_keys.join(paired_keys.drop("_h"), on=IDENTITY, how="left", nulls_equal=False)
    rest = rest.with_columns(
        pl.col("src_row").first().over(IDENTITY, order_by="j").alias("_first_row"),
        pl.int_range(pl.len()).over(IDENTITY, order_by="j").alias("_n"),
    )
    twin = pl.coalesce(pl.col("_twin_row"), pl.when(pl.col("_n") > 0).then(pl.col("_first_row")))
    pr_rows = rest.select(
        "j",
        pl.when(twin.is_not_null()).then(pl.lit(MatchStatus.DUPLICATE.value))
        .otherwise(pl.lit(MatchStatus.MISSING_IN_IMS.value)).alias("match_status"),
        pl.when(twin.is_not_null()).then(pl.format("the same document as register row {}", twin)).alias("note"),
    )
    first_rows = right.select(pl.col("j").alias("first"), pl.col("src_row").alias("_row"))
    copy_rows = copies.join(first_rows, on="first", how="left").select(
        "j", pl.lit(MatchStatus.DUPLICATE.value).alias("match_status"),
        pl.format("the same document as register row {}", pl.col("_row")).alias("note"),
    )
    missing = pr_rows.filter(pl.col("match_status") == MatchStatus.MISSING_IN_IMS.value)
    pr_why = _explanations(missing.select("j"), right, left, "j", "i", compared, paired["i"], config, "ims")
    pr_rows = pr_rows.join(pr_why, on="j", how="left")
    return pl.concat([ims_rows, pr_rows, copy_rows], how="diagonal_relaxed")
