"""Candidate pairs within blocks: only documents that share a number, a number's core, a near
neighbour of it, an original number, or an amount within the date window are compared.

Sides are frames with an index column (``i`` for IMS, ``j`` for the register), the block
columns, and the fields of :data:`imsrecon.match.compare.SIDE_FIELDS`.
"""

from __future__ import annotations

import polars as pl

from imsrecon.match.compare import SIDE_FIELDS
from imsrecon.match.numbers import neighbour_keys

_MIN_NEIGHBOUR_CORE = 3


def _pairs_on(left: pl.DataFrame, right: pl.DataFrame, block: list[str], lkey: pl.Expr, rkey: pl.Expr) -> pl.DataFrame:
    lk = left.select("i", *block, lkey.alias("_k")).drop_nulls("_k")
    rk = right.select("j", *block, rkey.alias("_k")).drop_nulls("_k")
    return lk.join(rk, on=[*block, "_k"], how="inner").select("i", "j")


def candidate_pairs(
    left: pl.DataFrame, right: pl.DataFrame, block: list[str], window_days: int
) -> pl.DataFrame:
    """Unique (i, j) candidate pairs that share a block and at least one key."""
    if left.height == 0 or right.height == 0:
        return pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})
    parts = [
        _pairs_on(left, right, block, pl.col("doc_no_norm"), pl.col("doc_no_norm")),
        _pairs_on(left, right, block, pl.col("core"), pl.col("core")),
        _pairs_on(left, right, block, pl.col("orig_doc_no_norm"), pl.col("doc_no_norm")),
        _pairs_on(left, right, block, pl.col("orig_core"), pl.col("core")),
    ]
    # near neighbours: one deletion away
    def neighbours(frame: pl.DataFrame, idx: str) -> pl.DataFrame:
        return (
            frame.filter(pl.col("core").str.len_chars() >= _MIN_NEIGHBOUR_CORE)
            .select(idx, *block, neighbour_keys(pl.col("core")).alias("_k"))
            .explode("_k")
            .filter(pl.col("_k").str.len_chars() >= _MIN_NEIGHBOUR_CORE - 1)
        )

    parts.append(neighbours(left, "i").join(neighbours(right, "j"), on=[*block, "_k"]).select("i", "j"))
    # equal taxable value (to the rupee, either side of a rounding edge) in the same few days
    bucket = window_days + 1

    def amount_keys(frame: pl.DataFrame, idx: str, spread: bool) -> pl.DataFrame:
        out = frame.select(
            idx, *block, pl.col("taxable_value").round(0).cast(pl.Int64).alias("_a"),
            (pl.col("doc_date").cast(pl.Int32) // bucket).alias("_b"), pl.col("doc_date").alias("_d"),
        ).drop_nulls(["_a", "_b"])
        if spread:
            out = out.with_columns(
                pl.concat_list(pl.col("_a") - 1, pl.col("_a"), pl.col("_a") + 1).alias("_a"),
                pl.concat_list(pl.col("_b") - 1, pl.col("_b"), pl.col("_b") + 1).alias("_b"),
            ).explode("_a").explode("_b")
        return out

    by_amount = amount_keys(left, "i", False).join(
        amount_keys(right, "j", True), on=[*block, "_a", "_b"], suffix="_r"
    )
    parts.append(
        by_amount.filter((pl.col("_d_r") - pl.col("_d")).dt.total_days().abs() <= window_days).select("i", "j")
    )
    return pl.concat(parts).unique()


def attach_sides(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs with each side's fields, suffixed _l (IMS) and _r (register)."""
    lf = left.select("i", *[pl.col(f).alias(f"{f}_l") for f in SIDE_FIELDS])
    rf = right.select("j", *[pl.col(f).alias(f"{f}_r") for f in SIDE_FIELDS])
    return pairs.join(lf, on="i", how="left").join(rf, on="j", how="left")
