"""The plain exact pass: pair documents whose normalised identity is equal, one to one."""

from __future__ import annotations

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.match.pairs import PAIRS_SCHEMA
from imsrecon.model import AMOUNT_HEADS
from imsrecon.result import MatchStatus

IDENTITY = ["recipient_gstin", "supplier_gstin", "doc_class", "doc_no_norm", "fy"]


def _keyed(docs: pl.DataFrame, idx: str) -> pl.DataFrame:
    return (
        docs.select(*IDENTITY, "doc_date", *AMOUNT_HEADS)
        .with_row_index(idx)
        .with_columns(pl.col(c).fill_null("") for c in IDENTITY if c != "fy")
        .with_columns(pl.col("fy").fill_null(""))
        .with_columns(pl.int_range(pl.len()).over(IDENTITY, order_by=idx).alias("_rank"))
    )


def differences_expr(config: MatchConfig) -> pl.Expr:
    """Semicolon-separated names of the fields that differ beyond tolerance (IMS vs register)."""
    parts = [pl.when(pl.col("doc_date") != pl.col("doc_date_pr")).then(pl.lit("doc_date"))]
    for head in AMOUNT_HEADS:
        a, b = pl.col(head), pl.col(f"{head}_pr")
        tol = pl.max_horizontal(
            pl.lit(config.tolerance_rupees),
            a.abs() * (config.tolerance_percent or 0.0) / 100,
        )
        parts.append(pl.when((a - b).abs() > tol + 1e-9).then(pl.lit(head)))
    return pl.concat_str(parts, separator=";", ignore_nulls=True)


def exact_pairs(ims: pl.DataFrame, pr: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Pairs frame (see match.pairs.PAIRS_SCHEMA) for every IMS document and register row.

    Register rows past the first for one identity are duplicates; an IMS document without a
    register row of its identity is missing in PR, and the reverse is missing in IMS.
    """
    left = _keyed(ims, "ims_idx")
    right = _keyed(pr, "pr_idx")
    firsts = right.filter(pl.col("_rank") == 0)
    joined = left.join(firsts, on=[*IDENTITY, "_rank"], how="full", suffix="_pr", coalesce=True)
    diffs = differences_expr(config)
    paired = pl.col("ims_idx").is_not_null() & pl.col("pr_idx").is_not_null()
    status = (
        pl.when(pl.col("pr_idx").is_null()).then(pl.lit(MatchStatus.MISSING_IN_PR.value))
        .when(pl.col("ims_idx").is_null()).then(pl.lit(MatchStatus.MISSING_IN_IMS.value))
        .when(pl.col("_diff") == "").then(pl.lit(MatchStatus.EXACT.value))
        .otherwise(pl.lit(MatchStatus.MISMATCH.value))
    )
    # Only the first IMS document of an identity pairs; further ones (rare) are missing in PR.
    joined = joined.with_columns(pl.when(paired).then(diffs).otherwise(pl.lit("")).alias("_diff"))
    pairs = joined.select(
        "ims_idx",
        "pr_idx",
        status.alias("match_status"),
        pl.col("_diff").alias("differences"),
        pl.when(paired)
        .then(1.0 - 0.1 * pl.col("_diff").str.count_matches(";").add(1).mul(pl.col("_diff") != ""))
        .otherwise(0.0)
        .alias("score"),
    )
    twins = firsts.select(*IDENTITY, pl.col("pr_idx").alias("_first"))
    dups = (
        right.filter(pl.col("_rank") > 0)
        .join(twins, on=IDENTITY, how="left")
        .join(pr.select("src_row").with_row_index("_first"), on="_first", how="left")
        .select(
            pl.lit(None, pl.UInt32).alias("ims_idx"),
            "pr_idx",
            pl.lit(MatchStatus.DUPLICATE.value).alias("match_status"),
            pl.lit("").alias("differences"),
            pl.lit(0.0).alias("score"),
            pl.format("the same document as register row {}", pl.col("src_row")).alias("note"),
        )
    )
    out = pl.concat([pairs, dups], how="diagonal_relaxed")
    return out.with_columns(
        [pl.lit(None, t).alias(c) for c, t in PAIRS_SCHEMA.items() if c not in out.columns]
    ).select([pl.col(c).cast(t) for c, t in PAIRS_SCHEMA.items()])
