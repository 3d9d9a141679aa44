"""IMS and GSTR-2B (or GSTR-2A) in one run: one row per document (pure core, before matching).

A GSTR-2B or GSTR-2A record of a document that is also in an IMS download adds its facts — ITC
availability, its reason, the applicable percentage, the 2B period and the supplier's trade name —
to that IMS document, and is not a row of its own; a GSTR-2A record of a document that GSTR-2B also
holds adds its facts to the 2B record the same way. Records of documents that never pass through
IMS (reverse charge, ISD …) stay rows of their own.

A document's identity is its recipient, supplier GSTIN, class, normalised number (for an
amendment its revised number), financial year and whether it is an amendment (an amendment is
not the document it amends). The work is a join on the identity, not a loop.
"""

from __future__ import annotations

import polars as pl

from imsrecon.model import Side

# the facts a statement record lends the IMS record of the same document
FACTS = ("itc_availability", "itc_reason", "applicable_pct", "gstr2b_period")
NAME = "supplier_name"  # GSTR-2B's trade name: preferred to the IMS file's own (IMS JSON has none)
IDENTITY = ("recipient_gstin", "supplier_gstin", "doc_class", "doc_no_norm", "fy", "is_amendment")
# which source holds a document's row when several have it (lowest first), and whose facts win
SOURCE_RANK = {Side.IMS.value: 0, Side.GSTR2B.value: 1, Side.GSTR2A.value: 2}
MERGE_COLUMNS = ("side", *IDENTITY, *FACTS, NAME)  # the document columns the merge reads


def _keys(docs: pl.DataFrame) -> pl.DataFrame:
    """Position, source rank and identity of the rows that may be merged: a known identity and source."""
    known = pl.all_horizontal(pl.col(c).is_not_null() for c in ("supplier_gstin", "doc_class", "doc_no_norm", "fy"))
    keyed = docs.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"),
        pl.col("side").replace_strict(SOURCE_RANK, default=None, return_dtype=pl.Int8).alias("_rank"),
        pl.col("recipient_gstin").fill_null(""), "supplier_gstin", "doc_class", "doc_no_norm", "fy",
        pl.col("is_amendment").fill_null(False), known.alias("_known"),
    )  # fmt: skip
    return keyed.filter(pl.col("_known") & pl.col("_rank").is_not_null()).drop("_known")


def _pairs(keys: pl.DataFrame, holders: pl.Expr, lenders: pl.Expr) -> tuple[pl.DataFrame, pl.Series]:
    """((_pos, _pos_l): each holder record with the record that lends it its facts, the best of the
    lenders of its identity (lowest source rank, then first in file order); every lender's position)."""
    pairs = keys.filter(holders).join(keys.filter(lenders), on=list(IDENTITY), how="inner", suffix="_l")
    pairs = pairs.select("_pos", "_pos_l", "_rank_l")
    lenders_at = pairs["_pos_l"].unique()
    if pairs.height > pairs["_pos"].n_unique():  # an identity two lenders hold: the best lends
        pairs = pairs.sort("_rank_l", "_pos_l").unique("_pos", keep="first")
    return pairs.select("_pos", "_pos_l"), lenders_at


def merge_statement_facts(docs: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``docs`` (IMS-side documents of any source) with one row per document, and how many
    statement records were merged into another record's row.

    The row of a document is its IMS record (every IMS record, should IMS hold it twice), else its
    GSTR-2B record (both, should GSTR-2B hold it twice), else its GSTR-2A record. A GSTR-2A record
    first lends its facts to the GSTR-2B record of its document, then the best statement record
    lends them to the IMS record (the trade name of a statement over the IMS file's own; every other
    fact only where the holder has none); the lenders are dropped. Rows keep their order. The work
    is one join on the identity per step, and none where only one source is given.
    """
    if docs.height == 0 or "side" not in docs.columns:
        return docs, 0
    sides = set(docs["side"].drop_nulls().unique().to_list()) & SOURCE_RANK.keys()
    if len(sides) < 2:  # one source: nothing to merge (the usual run)
        return docs, 0
    keys = _keys(docs)
    lent = [c for c in (*FACTS, NAME) if c in docs.columns]
    facts = docs.select(lent)  # the facts as they are lent on: a 2A record's reach IMS through its 2B record
    rank = pl.col("_rank")
    two_b, two_a = SOURCE_RANK[Side.GSTR2B.value], SOURCE_RANK[Side.GSTR2A.value]
    # 2A lends to 2B, then the statements lend to IMS (the name: the lender's first)
    steps = ((rank == two_b, rank == two_a, False), (rank == SOURCE_RANK[Side.IMS.value], rank > 0, True))
    donors: list[pl.Series] = []
    for holders, lenders, name_lent_first in steps:
        if donors:  # a record that lent once does not lend again: its facts are in its holder's
            lenders = lenders & ~pl.col("_pos").is_in(donors[0].implode())
        pairs, lenders_at = _pairs(keys, holders, lenders)
        if pairs.height == 0:
            continue
        donors.append(lenders_at)
        own, lend = facts[pairs["_pos"]], facts[pairs["_pos_l"]].rename(lambda c: f"{c}_d")
        values = pl.concat([own, lend], how="horizontal").select(
            pl.coalesce(f"{c}_d", c).alias(c) if c == NAME and name_lent_first else pl.coalesce(c, f"{c}_d").alias(c)
            for c in lent
        )
        facts = facts.with_columns(facts[c].scatter(pairs["_pos"], values[c]) for c in lent)
    if not donors:
        return docs, 0
    gone = pl.concat(donors).unique()
    keep = pl.Series([True] * docs.height, dtype=pl.Boolean).scatter(gone, False)
    return docs.with_columns(facts).filter(keep), gone.len()


__all__ = ["FACTS", "IDENTITY", "MERGE_COLUMNS", "NAME", "SOURCE_RANK", "merge_statement_facts"]
