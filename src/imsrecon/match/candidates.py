"""Candidate pairs within blocks: only documents that share a number, a number's core, a near
neighbour of it, an original number, or an amount within the date window are compared.

Sides are frames with an index column (``i`` for IMS, ``j`` for the register), the block
columns, and the fields of :data:`imsrecon.match.compare.SIDE_FIELDS`.
"""

from __future__ import annotations

import polars as pl

from imsrecon.match.compare import SIDE_FIELDS
from imsrecon.match.numbers import explode_neighbours

_MIN_NEIGHBOUR_CORE = 3
# a document's identity: two documents with equal values here are the same document
IDENTITY = ["_rec", "supplier_gstin", "doc_class", "doc_no_norm", "fy"]


def _pairs_on(left: pl.DataFrame, right: pl.DataFrame, block: list[str], lkey: pl.Expr, rkey: pl.Expr) -> pl.DataFrame:
    lk = left.select("i", *block, lkey.alias("_k")).drop_nulls("_k")
    rk = right.select("j", *block, rkey.alias("_k")).drop_nulls("_k")
    return lk.join(rk, on=[*block, "_k"], how="inner").select("i", "j")


STRONG, WEAK = "strong", "weak"


def candidate_pairs(
    left: pl.DataFrame, right: pl.DataFrame, block: list[str], window_days: int, kind: str = STRONG
) -> pl.DataFrame:
    """Unique (i, j) candidate pairs that share a block and at least one key.

    ``strong``: the normalised number, its core, or the amendment's original number.
    ``weak``: a near neighbour of the core, or the taxable value to the rupee, in either case
    within the date window (the window is where such pairs may be accepted at all).
    """
    empty = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})
    if left.height == 0 or right.height == 0:
        return empty
    if kind == STRONG:
        parts = [
            _pairs_on(left, right, block, pl.col("doc_no_norm"), pl.col("doc_no_norm")),
            _pairs_on(left, right, block, pl.col("core"), pl.col("core")),
            _pairs_on(left, right, block, pl.col("orig_doc_no_norm"), pl.col("doc_no_norm")),
            _pairs_on(left, right, block, pl.col("orig_core"), pl.col("core")),
        ]
        return pl.concat(parts).unique().sort("i", "j")
    bucket = window_days + 1

    def keyed(frame: pl.DataFrame, idx: str, key: pl.Expr | None, spread: bool) -> pl.DataFrame:
        """idx, block and key hashed together (``_h``), date bucket, date; the key is the core's
        neighbour keys (None) or the given expression, list keys exploded; ``spread`` adds the
        neighbouring date buckets so that the two sides meet within the window. A hash that
        collides only adds a candidate, which its comparison then rules out."""
        out = frame.select(
            idx, pl.struct(block).hash(3).alias("_blk"), (pl.col("core") if key is None else key).alias("_k"),
            (pl.col("doc_date").cast(pl.Int32) // bucket).alias("_b"), pl.col("doc_date").alias("_d"),
        )
        if key is None:
            out = explode_neighbours(out, "_k", "_k")
        elif isinstance(out.schema["_k"], pl.List):
            out = out.explode("_k")
        if out.schema["_k"] == pl.String:
            out = out.filter(pl.col("_k").str.len_chars() >= _MIN_NEIGHBOUR_CORE - 1)
        out = out.drop_nulls(["_k", "_b"]).select(idx, pl.struct("_blk", "_k").hash(5).alias("_h"), "_b", "_d")
        if spread:  # three stacked copies: cheaper than a list per row, exploded
            out = pl.concat([out.with_columns(pl.col("_b") + d) for d in (-1, 0, 1)])
        return out

    def within(joined: pl.DataFrame) -> pl.DataFrame:
        return joined.filter((pl.col("_d_r") - pl.col("_d")).dt.total_days().abs() <= window_days).select("i", "j")

    long_l = left.filter(pl.col("core").str.len_chars() >= _MIN_NEIGHBOUR_CORE)
    long_r = right.filter(pl.col("core").str.len_chars() >= _MIN_NEIGHBOUR_CORE)
    by_number = keyed(long_l, "i", None, False).join(keyed(long_r, "j", None, True), on=["_h", "_b"], suffix="_r")
    rupees = pl.col("taxable_value").round(0).cast(pl.Int64)
    amount_r = keyed(right, "j", pl.concat_list(rupees - 1, rupees, rupees + 1), True)
    by_amount = keyed(left, "i", rupees, False).join(amount_r, on=["_h", "_b"], suffix="_r")
    return pl.concat([within(by_number), within(by_amount)]).unique().sort("i", "j")


# the very document, whoever the supplier: one recipient and class, the same number and date
SAME_NUMBER_DAY = ["_rec", "doc_class", "doc_no_norm", "doc_date"]


def other_supplier_pairs(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """(i, j) of documents of one recipient and class with the same normalised number and date
    under suppliers of different PANs (the very document booked under the wrong ledger): a join
    on all four, so numbers that many suppliers use ("1", "INV-001") meet only on the same day."""
    lk = left.select("i", *SAME_NUMBER_DAY, "_pan").drop_nulls(["doc_no_norm", "doc_date", "_pan"])
    rk = right.select("j", *SAME_NUMBER_DAY, "_pan").drop_nulls(["doc_no_norm", "doc_date", "_pan"])
    joined = lk.join(rk, on=SAME_NUMBER_DAY, suffix="_r")
    return joined.filter(pl.col("_pan") != pl.col("_pan_r")).select("i", "j").unique().sort("i", "j")


def attach_sides(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs with each side's fields, suffixed _l (IMS) and _r (register)."""
    lf = left.select("i", *[pl.col(f).alias(f"{f}_l") for f in SIDE_FIELDS])
    rf = right.select("j", *[pl.col(f).alias(f"{f}_r") for f in SIDE_FIELDS])
    return pairs.join(lf, on="i", how="left").join(rf, on="j", how="left")
