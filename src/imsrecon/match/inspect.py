"""The comparison table behind `imsrecon explain`: one document against every document of the
same supplier (and of the supplier's other registrations, and any supplier's document of the very
number and date) on the other side, field by field."""

from __future__ import annotations

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.match.candidates import SAME_NUMBER_DAY, attach_sides
from imsrecon.match.compare import compare_pairs, with_comparison
from imsrecon.match.engine import sides
from imsrecon.match.numbers import NumberLevel, with_cores

_LEVELS = {int(level): level.label for level in NumberLevel}


def candidate_table(
    ims: pl.DataFrame, pr: pl.DataFrame, config: MatchConfig, *, ims_index: int | None = None,
    pr_index: int | None = None, limit: int = 10,
) -> pl.DataFrame:
    """The best ``limit`` candidates of one document (by row index into ``ims`` or ``pr``),
    with every field's level, the score, whether the pair could be accepted, and if not why."""
    if (ims_index is None) == (pr_index is None):
        raise ValueError("give exactly one of ims_index and pr_index")
    left, right, _, _ = sides(ims, pr, config)
    own, other, idx = (left, right, "i") if ims_index is not None else (right, left, "j")
    me = own.filter(pl.col(idx) == (ims_index if ims_index is not None else pr_index))
    if me.height == 0:
        raise ValueError("no such document")
    row = me.row(0, named=True)
    same_supplier = (pl.col("_rec") == row["_rec"]) & (
        (pl.col("_pan") == row["_pan"]) | pl.col("supplier_gstin").is_null() | pl.lit(row["_pan"] is None)
    )
    # and the very number of the same day under any supplier (booked under the wrong ledger)
    same_number = pl.all_horizontal(pl.col(k) == row[k] for k in SAME_NUMBER_DAY).fill_null(False)
    others = other.filter((same_supplier | same_number) & (pl.col("doc_class") == row["doc_class"]))
    if others.height == 0:
        return pl.DataFrame()
    me, others = with_cores(me), with_cores(others)
    pairs = me.select(idx).join(others.select("j" if idx == "i" else "i"), how="cross")
    l_frame, r_frame = (me, others) if idx == "i" else (others, me)
    compared = with_comparison(compare_pairs(attach_sides(pairs.select("i", "j"), l_frame, r_frame), config))
    return compared.sort("score", descending=True).head(limit).select(
        "i", "j",
        pl.col("doc_no_r" if idx == "i" else "doc_no_l").alias("candidate_doc_no"),
        pl.col("doc_date_r" if idx == "i" else "doc_date_l").alias("candidate_doc_date"),
        pl.col("supplier_gstin_r" if idx == "i" else "supplier_gstin_l").alias("candidate_gstin"),
        pl.col("num_level").replace_strict(_LEVELS, default="different", return_dtype=pl.String).alias("doc_no"),
        "num_sim", "date_diff", "differences", "score", "accept", "ruled_out_by", "comparison",
    )
