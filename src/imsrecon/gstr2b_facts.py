"""IMS and GSTR-2B (or GSTR-2A) in one run: one row per document (pure core, before matching).

A GSTR-2B or GSTR-2A record of a document that is also in an IMS download adds its facts — ITC
availability, its reason, the applicable percentage, the 2B period and the supplier's trade name —
to that IMS document, and is not a row of its own; a GSTR-2A record of a document that GSTR-2B also
holds adds its facts to the 2B record the same way. Records of documents that never pass through
IMS (reverse charge, ISD …) stay rows of their own.

A document's identity is its recipient, supplier GSTIN, class, normalised number (for an
amendment its revised number), financial year and whether it is an amendment (an amendment is
not the document it amends). The work is a join on hashes of the identity, not a loop.
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
    """Position, source rank and the identity as two independent 64-bit hashes (equal by chance:
    odds ~1e-38) for the rows that may be merged: a known identity and source."""
    ident = pl.struct(
        pl.col("recipient_gstin").fill_null(""), "supplier_gstin", "doc_class", "doc_no_norm", "fy",
        pl.col("is_amendment").fill_null(False),
    )
    known = pl.all_horizontal(pl.col(c).is_not_null() for c in ("supplier_gstin", "doc_class", "doc_no_norm", "fy"))
    rank = pl.col("side").replace_strict(SOURCE_RANK, default=None, return_dtype=pl.Int8)
    keyed = docs.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_pos"), rank.alias("_rank"),
        ident.hash(7).alias("_h"), ident.hash(11).alias("_h2"), known.alias("_known"),
    )  # fmt: skip
    return keyed.filter(pl.col("_known") & pl.col("_rank").is_not_null()).drop("_known")


def merge_statement_facts(docs: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``docs`` (IMS-side documents of any source) with one row per document, and how many
    statement records were merged into another source's row.

    The row of a document is its IMS record (every IMS record, should IMS hold it twice), else its
    GSTR-2B record, else its GSTR-2A record; the records of lower sources lend it the facts it
    lacks (the trade name of GSTR-2B over the IMS file's) and are dropped. Rows keep their order.
    """
    if docs.height == 0 or "side" not in docs.columns:
        return docs, 0
    sides = set(docs["side"].drop_nulls().unique().to_list()) & SOURCE_RANK.keys()
    if len(sides) < 2 or sides == {Side.IMS.value}:  # one source: nothing to merge (the usual run)
        return docs, 0
    keyed = _keys(docs).with_columns(pl.col("_rank").min().over("_h", "_h2").alias("_best"))
    donors = keyed.filter(pl.col("_rank") > pl.col("_best"))
    if donors.height == 0:
        return docs, 0
    lent = [c for c in (*FACTS, NAME) if c in docs.columns]
    # per identity, the first fact of the best lending source (2B before 2A, file order within one)
    facts = (
        donors.select("_h", "_h2", "_rank", "_pos")
        .with_columns(docs.select(pl.col(c).gather(donors["_pos"]).alias(f"{c}_d") for c in lent))
        .sort("_rank", "_pos")
        .group_by("_h", "_h2", maintain_order=True)
        .agg(pl.col(f"{c}_d").drop_nulls().first() for c in lent)
    )
    holders = keyed.filter(pl.col("_rank") == pl.col("_best")).join(facts, on=["_h", "_h2"], how="inner")
    pos = holders["_pos"]
    own = docs.select(pl.col(c).gather(pos) for c in lent)
    from_ims = holders["_rank"] == SOURCE_RANK[Side.IMS.value]
    updated = pl.concat([own, holders.select(f"{c}_d" for c in lent), from_ims.to_frame("_ims")], how="horizontal")
    values = updated.select(
        pl.when(pl.col("_ims")).then(pl.coalesce(f"{c}_d", c)).otherwise(pl.coalesce(c, f"{c}_d")).alias(c)
        if c == NAME else pl.coalesce(c, f"{c}_d").alias(c)
        for c in lent
    )
    merged = docs.with_columns(docs[c].scatter(pos, values[c]) for c in lent)
    keep = pl.Series([True] * docs.height, dtype=pl.Boolean).scatter(donors["_pos"], False)
    return merged.filter(keep), donors.height


__all__ = ["FACTS", "IDENTITY", "MERGE_COLUMNS", "NAME", "SOURCE_RANK", "merge_statement_facts"]
