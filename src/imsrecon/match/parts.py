"""Documents booked in parts: one supplier document entered in the register as several rows of
the same identity (one invoice booked against two goods receipts, goods and freight in separate
vouchers, two cost centres) whose amounts agree with IMS only when added up.

The strong pass pairs the IMS document with one of the parts (the number is the same, so the
identity is sure) as a mismatch, and the other parts would look like a double booking. Here a
paired document whose amounts differ is checked against the sum of its row and the unpaired
register rows of the same identity: when every amount head agrees within tolerance, the pair is
compared on the sums and the other rows are reported as its parts (category ``duplicate``, the
issue's word for a second register row of a paired document, with a note that says which).
"""

from __future__ import annotations

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.match.candidates import IDENTITY
from imsrecon.match.compare import score_for_level, within_tolerance
from imsrecon.match.numbers import NumberLevel
from imsrecon.model import AMOUNT_HEADS
from imsrecon.result import MatchStatus

PART_NOTE = "part of a document booked in parts"


def is_part() -> pl.Expr:
    """Result rows that are the other parts of a document booked in parts (their amounts are in
    the pair's: counted there, never again)."""
    return (pl.col("match_status") == MatchStatus.DUPLICATE.value) & pl.col("reason").fill_null("").str.contains(
        PART_NOTE, literal=True
    )


_AMOUNT_DIFFERENCE = "|".join(AMOUNT_HEADS)


def booked_in_parts(
    stacked: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame, open_r: pl.DataFrame, config: MatchConfig
) -> pl.DataFrame:
    """For every pair of ``stacked`` (i, j, differences, num_level, amounts ``_l``/``_r``) that is
    a document booked in parts: i, ``_was`` (the paired row), j (the row that heads the parts:
    the first booked of those with the paired row's date and place of supply), ``parts`` (the
    other rows), its ``num_level`` and the summed amounts as ``{head}_sum``."""
    empty = pl.DataFrame(schema={"i": pl.UInt32, "_was": pl.UInt32, "j": pl.UInt32, "parts": pl.List(pl.UInt32),
                                 "num_level": pl.Int8, **{f"{h}_sum": pl.Float64 for h in AMOUNT_HEADS}})
    differs = stacked.filter(pl.col("differences").str.contains(_AMOUNT_DIFFERENCE))
    if differs.height == 0 or open_r.height == 0:
        return empty
    ident = right.select("j", *IDENTITY)
    heads = differs.select("i", "j", "num_level", *[f"{h}_{s}" for h in AMOUNT_HEADS for s in "lr"]).join(ident, on="j")
    # an identity that IMS holds more than once (the same number twice) cannot say whose parts are whose
    in_ims = left.select(IDENTITY).join(heads.select(IDENTITY), on=IDENTITY, how="semi").group_by(IDENTITY).len()
    heads = heads.join(in_ims.filter(pl.col("len") > 1).drop("len"), on=IDENTITY, how="anti")
    # nor one whose register rows are paired with two documents that both differ in amount (the
    # same number and, by its core, another): which rows make up which depends on how ties broke
    shared = heads.group_by(IDENTITY).agg(pl.col("i").n_unique().alias("n")).filter(pl.col("n") > 1)
    heads = heads.join(shared.drop("n"), on=IDENTITY, how="anti")
    parts = open_r.select(pl.col("j").alias("part"), *IDENTITY, *AMOUNT_HEADS)
    joined = heads.join(parts, on=IDENTITY)  # a null in the identity never joins
    if joined.height == 0:
        return empty
    summed = joined.group_by("i", "j").agg(
        pl.col("part").alias("parts"), pl.col("num_level").first(),
        *[(pl.col(f"{h}_r").first() + pl.col(h).sum()).alias(f"{h}_sum") for h in AMOUNT_HEADS],
        *[pl.col(f"{h}_l").first() for h in AMOUNT_HEADS],
    )
    agree = pl.all_horizontal(within_tolerance(pl.col(f"{h}_l"), pl.col(f"{h}_sum"), config) for h in AMOUNT_HEADS)
    agreed = summed.filter(agree)
    # a row that would make up two documents (two pairs of one register identity) is nobody's part
    claims = agreed.select("parts").explode("parts").group_by("parts").len()
    contested = claims.filter(pl.col("len") > 1)["parts"].implode()
    agreed = agreed.filter(~pl.col("parts").list.eval(pl.element().is_in(contested)).list.any())
    return _first_booking_heads(agreed.rename({"j": "_was"}), left, right).select(empty.columns)


def _first_booking_heads(split: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """``split`` with j: of the rows sharing the paired row's date and place of supply, the first
    in the register (so the pair does not depend on which part the assignment happened to take),
    ``parts`` the others, and the number level recomputed for j (as written or normalised)."""
    members = pl.concat([
        split.select("i", "_was", pl.col("_was").alias("m")),
        split.select("i", "_was", pl.col("parts").alias("m")).explode("m"),
    ])
    facts = ["src_row", "doc_date", "place_of_supply", "doc_no"]
    members = members.join(right.select(pl.col("j").alias("m"), *facts), on="m").join(
        right.select(pl.col("j").alias("_was"), *[pl.col(f).alias(f"_was_{f}") for f in facts[1:3]]), on="_was"
    )
    alike = pl.col("doc_date").eq_missing(pl.col("_was_doc_date")) & pl.col("place_of_supply").eq_missing(
        pl.col("_was_place_of_supply"))
    first = members.filter(alike).sort("src_row").group_by("i", "_was").agg(
        pl.col("m").first().alias("j"), pl.col("doc_no").first().alias("_head_no"))
    others = members.join(first, on=["i", "_was"]).filter(pl.col("m") != pl.col("j")).group_by("i", "_was").agg(
        pl.col("m").sort().alias("parts"))
    out = split.drop("parts").join(first, on=["i", "_was"]).join(others, on=["i", "_was"])
    out = out.join(left.select("i", pl.col("doc_no").alias("_ims_no")), on="i")
    as_written = pl.col("_ims_no").str.strip_chars().str.to_uppercase() == pl.col("_head_no").str.strip_chars().str.to_uppercase()
    level = pl.when(pl.col("num_level") < NumberLevel.EQUAL_NORM).then(pl.col("num_level")).when(as_written).then(
        pl.lit(NumberLevel.EQUAL)).otherwise(pl.lit(NumberLevel.EQUAL_NORM))
    return out.with_columns(level.cast(pl.Int8).alias("num_level"))


def compared_on_sums(stacked: pl.DataFrame, split: pl.DataFrame) -> pl.DataFrame:
    """``stacked`` with each split pair headed by its first booking, its register amounts
    replaced by the sums of its parts and the amount heads taken out of its differences (the
    sums agree)."""
    if split.height == 0:
        return stacked
    sums = split.select(pl.col("i"), pl.col("_was").alias("j"), pl.col("j").alias("_head"),
                        pl.col("num_level").alias("_level"), *[f"{h}_sum" for h in AMOUNT_HEADS],
                        pl.lit(True).alias("_split"))
    out = stacked.join(sums, on=["i", "j"], how="left", maintain_order="left")
    is_split = pl.col("_split").fill_null(False)
    kept = pl.col("differences").str.split(";").list.eval(
        pl.element().filter(~pl.element().is_in(list(AMOUNT_HEADS)))
    ).list.join(";")
    out = out.with_columns(
        *[pl.when(is_split).then(pl.col(f"{h}_sum")).otherwise(pl.col(f"{h}_r")).alias(f"{h}_r") for h in AMOUNT_HEADS],
        pl.when(is_split).then(kept).otherwise(pl.col("differences")).alias("differences"),
        pl.when(is_split).then(pl.col("_head")).otherwise(pl.col("j")).alias("j"),
        pl.when(is_split).then(pl.col("_level")).otherwise(pl.col("num_level")).alias("num_level"),
    )
    # a pair that now agrees in everything scores as an exact pair of its number level
    agrees = is_split & (pl.col("differences") == "")
    return out.with_columns(
        pl.when(agrees).then(score_for_level(pl.col("num_level"))).otherwise(pl.col("score")).alias("score")
    ).drop(*[f"{h}_sum" for h in AMOUNT_HEADS], "_split", "_head", "_level")


def notes_of_parts(split: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(i, j, note, _comparison_tail) for the split pairs; (j, match_status, note) for their
    other parts."""
    rows = right.select(pl.col("j"), pl.col("src_row"))
    parts = split.select("i", "j", pl.col("parts").alias("part")).explode("part")
    parts = parts.join(rows.rename({"j": "part", "src_row": "_part_row"}), on="part", how="left")
    parts = parts.join(rows.rename({"src_row": "_head_row"}), on="j", how="left")
    parts = parts.join(left.select(pl.col("i"), pl.col("ims_section"), pl.col("doc_no")), on="i", how="left")
    every_row = pl.concat([
        parts.select("i", "j", pl.col("_part_row").alias("_row")),
        parts.select("i", "j", pl.col("_head_row").alias("_row")).unique(),
    ])
    listed = every_row.group_by("i", "j").agg(
        pl.col("_row").sort().cast(pl.String).str.join(", ").alias("_rows"), (pl.len() - 1).alias("_n")
    )
    pair_notes = listed.select(
        "i", "j",
        pl.format("booked in {} parts in your books (register rows {}), which together agree",
                  pl.col("_n") + 1, pl.col("_rows")).alias("note"),
        pl.format(" booked_in_parts={}", pl.col("_n") + 1).alias("_comparison_tail"),
    )
    part_rows = parts.select(
        pl.col("part").alias("j"), pl.lit(MatchStatus.DUPLICATE.value).alias("match_status"),
        pl.format("{}: with register row {} it makes up IMS {} {}", pl.lit(PART_NOTE), pl.col("_head_row"),
                  pl.col("ims_section").str.to_uppercase(), pl.col("doc_no")).alias("note"),
    )
    return pair_notes, part_rows
