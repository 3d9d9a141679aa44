"""The matching engine: exact pairs first, then an optimal assignment of the rest, block by
block, then a PAN-level pass and a pass for register rows without a GSTIN; every unpaired
document is told its nearest candidate and what ruled it out.
"""

from __future__ import annotations

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.match.assign import assign
from imsrecon.match.candidates import IDENTITY, STRONG, WEAK, attach_sides, candidate_pairs, other_supplier_pairs
from imsrecon.match.compare import (
    COMPARISON_FIELDS,
    compare_exact,
    compare_pairs,
    with_comparison,
    within_tolerance,
    written_keystroke_apart,
)
from imsrecon.match.explain import explain_unpaired
from imsrecon.match.numbers import NumberLevel, with_cores
from imsrecon.match.pairs import PAIRS_SCHEMA
from imsrecon.match.parts import booked_in_parts, compared_on_sums, notes_of_parts
from imsrecon.model import AMOUNT_HEADS, keep_rows
from imsrecon.result import MatchStatus

BLOCK = ["_rec", "supplier_gstin", "doc_class"]
PAN_BLOCK = ["_rec", "_pan", "doc_class"]
OPEN_BLOCK = ["_rec", "doc_class"]
CLASS_BLOCK = ["_rec", "supplier_gstin"]


DOCUMENT_COLUMNS = _NEEDED = (  # the document columns matching reads
    "recipient_gstin", "supplier_gstin", "doc_class", "doc_no", "doc_no_norm", "orig_doc_no", "orig_doc_no_norm", "doc_date", "fy",
    "tax_period", "place_of_supply", "flags", *AMOUNT_HEADS, "src_row", "ims_section",
)  # fmt: skip


def _side(docs: pl.DataFrame, idx: str) -> pl.DataFrame:
    """The columns matching needs (narrow frames keep joins and filters cheap); ``amount_repeats``
    is filled in by :func:`sides` once the exact pairs are known."""
    return docs.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(idx),
        pl.col("recipient_gstin").fill_null("").alias("_rec"),
        pl.col("supplier_gstin").str.slice(2, 10).alias("_pan"),
        *_NEEDED,
        pl.lit(None, pl.String).alias("core"),
        pl.lit(None, pl.String).alias("orig_core"),
    )


def amount_repeats(side: pl.DataFrame, idx: str, window_days: int, taken: pl.Series) -> pl.Series:
    """True for documents whose supplier has another document of the same class and taxable
    value (to the rupee) and a date at most ``window_days`` away on the same side, both still
    open (not in ``taken``: a document already paired exactly cannot be mistaken for another),
    so that the amount cannot tell those documents apart."""
    key = pl.struct("recipient_gstin", "supplier_gstin", "doc_class", pl.col("taxable_value").round(0)).hash(13)
    keyed = side.filter(~pl.col(idx).is_in(taken.implode())).select(
        idx, key.alias("_k"), pl.col("doc_date").cast(pl.Int32).alias("_d")
    )
    again = keyed.filter(pl.col("_k").is_duplicated()).sort("_k", "_d")  # few: most amounts occur once
    gap = pl.col("_d") - pl.col("_d").shift(1)
    near = (
        ((pl.col("_k") == pl.col("_k").shift(1)) & (gap <= window_days))
        | ((pl.col("_k") == pl.col("_k").shift(-1)) & (gap.shift(-1) <= window_days))
    ).fill_null(False)
    flagged = again.filter(near)[idx]
    return pl.Series("amount_repeats", [False] * side.height, dtype=pl.Boolean).scatter(flagged, True)


def sides(ims: pl.DataFrame, pr: pl.DataFrame, config: MatchConfig) -> tuple[pl.DataFrame, ...]:
    """(left, right, locked, copies): both sides' matching columns, the exact pairs, and the
    register rows that repeat them; ``amount_repeats`` counts only documents left open."""
    left, right = _side(ims, "i"), _side(pr, "j")
    locked = exact_lock(left, right, config)
    copies = _copies(right, locked, config)
    window = config.date_window_days
    left = left.with_columns(amount_repeats(left, "i", window, locked["i"]))
    right = right.with_columns(amount_repeats(right, "j", window, pl.concat([locked["j"], copies["j"]])))
    return left, right, locked, copies


def _within_all(config: MatchConfig) -> pl.Expr:
    """Same date and every amount within tolerance (left columns plain, right ones suffixed _r)."""
    heads = [within_tolerance(pl.col(h), pl.col(f"{h}_r"), config) for h in AMOUNT_HEADS]
    return pl.all_horizontal(heads) & (pl.col("doc_date") == pl.col("doc_date_r"))


def exact_lock(left: pl.DataFrame, right: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Pairs equal in identity, date and every amount; one to one, in file order. Returns i, j
    and both sides' number and amounts (suffixes _l, _r) for the comparison."""
    cols = ["doc_no", "doc_date", *AMOUNT_HEADS]

    def keyed(frame: pl.DataFrame, idx: str) -> pl.DataFrame:
        # the identity as two independent 64-bit hashes (equal by chance: odds ~1e-38), so that
        # the join moves integers instead of five text columns a side
        ident = pl.struct(IDENTITY)
        keyed = frame.select(
            idx, ident.hash(7).alias("_h"), ident.hash(11).alias("_h2"), *cols,
            pl.all_horizontal(pl.col(IDENTITY).is_not_null()).alias("_known"),
        )
        return keep_rows(keyed, pl.col("_known")).drop("_known")

    joined = keyed(left, "i").join(keyed(right, "j"), on=["_h", "_h2"], suffix="_r")
    exact = joined.filter(_within_all(config))
    # one to one within each identity, in file order: the k-th document with the k-th row (most
    # identities meet once: only the repeated ones are ranked)
    repeated = exact["_h"].is_duplicated()
    ranked = exact.filter(repeated).with_columns(
        pl.col("i").rank("dense").over("_h").alias("_ri"), pl.col("j").rank("dense").over("_h").alias("_rj")
    ).filter(pl.col("_ri") == pl.col("_rj")).drop("_ri", "_rj")
    exact = pl.concat([exact.filter(~repeated), ranked])  # in no order: the result is ordered once, at the end
    return exact.select(
        "i", "j", *[pl.col(c).alias(f"{c}_l") for c in cols], *[pl.col(f"{c}_r") for c in cols]
    )


def _copies(right: pl.DataFrame, locked: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Register rows that repeat a locked row (same identity and values): duplicates, with the
    locked row they repeat (j of the first booking)."""
    cols = [*IDENTITY, "doc_date", *AMOUNT_HEADS]
    first = right.join(locked.select("j"), on="j", how="semi").select(pl.col("j").alias("first"), *cols)
    first = first.filter(pl.all_horizontal(pl.col(IDENTITY).is_not_null()))
    rest = right.join(locked.select("j"), on="j", how="anti").select("j", *cols)
    joined = rest.join(first, on=IDENTITY, suffix="_r")
    return joined.filter(_within_all(config)).group_by("j").agg(pl.col("first").min())


TIE = 0.001


def _same_document() -> pl.Expr:
    """For pairs across registrations: the very same number with the same taxable value, or the
    number's core with the same taxable value and date (a branch's own series is another
    document even when its numbers coincide)."""
    level = pl.col("num_level")
    taxable_same = ~pl.col("differences").str.contains("taxable_value")
    date_same = ~pl.col("differences").str.contains("doc_date")
    return taxable_same & ((level >= NumberLevel.EQUAL_NORM) | ((level >= NumberLevel.EQUAL_CORE) & date_same))


def unambiguous(accepted: pl.DataFrame) -> pl.DataFrame:
    """Weak pairs (numbers only similar, or different) whose document has another weak candidate
    scoring as high are dropped: when the books cannot tell two documents apart, neither is
    paired rather than one at random."""
    weak = accepted.filter(pl.col("num_level") <= NumberLevel.SIMILAR).select("i", "j", "score")
    if weak.height == 0:
        return accepted
    tied = []
    for side in ("i", "j"):
        top = weak.group_by(side).agg(pl.col("score").max().alias("_top"))
        near = weak.join(top, on=side).filter(pl.col("score") >= pl.col("_top") - TIE)
        crowded = near.group_by(side).len().filter(pl.col("len") > 1).select(side)
        tied.append(near.join(crowded, on=side, how="semi").select("i", "j"))
    return accepted.join(pl.concat(tied), on=["i", "j"], how="anti")


def _run_pass(
    left: pl.DataFrame, right: pl.DataFrame, block: list[str], config: MatchConfig,
    keep: pl.Expr | None = None, kind: str = STRONG, done: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """All compared candidate pairs of one pass (accepted or not), but the pairs (i, j) already
    compared in ``done``."""
    cands = candidate_pairs(left, right, block, config.date_window_days, kind)
    if done is not None:
        cands = cands.join(done.select("i", "j"), on=["i", "j"], how="anti")
    compared = compare_pairs(attach_sides(cands, left, right), config)
    return compared if keep is None else compared.filter(keep)


def _claimed_rows(done: pl.DataFrame) -> pl.DataFrame:
    """A register row that carries the very number of an IMS document (an accepted pair of equal
    numbers) belongs to that document, or is a part or a copy of it: a document whose number
    differs outright, more than a keystroke as written, does not take it on agreeing values
    (ruled out by ``doc_no``). A keystroke apart it may: DN00084 booked as DN00048, the number
    of another real debit note."""
    sure = done.filter(pl.col("accept") & (pl.col("num_level") >= NumberLevel.EQUAL_NORM))
    if sure.height == 0:
        return done
    asked = done.select(
        pl.col("accept") & (pl.col("num_level") == NumberLevel.DIFFERENT) & pl.col("j").is_in(sure["j"].implode())
    ).to_series().fill_null(False)
    idx = asked.arg_true()
    if idx.len() == 0:
        return done
    far = idx.filter(~written_keystroke_apart(done, idx))
    claimed = pl.Series("_claimed", [False] * done.height, dtype=pl.Boolean).scatter(far, True)
    return done.with_columns(
        (pl.col("accept") & ~claimed).alias("accept"),
        pl.when(claimed).then(pl.lit("doc_no")).otherwise(pl.col("ruled_out_by")).alias("ruled_out_by"),
    )


EXPLAINED = ["i", "j", "score", "accept", "ruled_out_by"]  # of every compared pair, kept for explanations


def match_documents(ims: pl.DataFrame, pr: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """The pairs frame (match.pairs.PAIRS_SCHEMA) for every IMS document and register row."""
    left, right, locked, copies = sides(ims, pr, config)
    chosen = [compare_exact(locked)]
    compared: list[pl.DataFrame] = []

    open_l = with_cores(left.join(locked, on="i", how="anti"))
    open_r = with_cores(right.join(locked, on="j", how="anti").join(copies, on="j", how="anti"))
    # 1. same supplier GSTIN: strong keys for all; weak keys for documents that have no clean
    #    strong candidate (one that agrees in every field), solved together in one assignment
    strong = _run_pass(open_l, open_r, BLOCK, config)
    clean = strong.filter(pl.col("accept") & (pl.col("differences") == ""))
    weak = _run_pass(
        open_l.join(clean, on="i", how="anti"), open_r.join(clean, on="j", how="anti"), BLOCK, config, kind=WEAK,
        done=strong,
    )

    def settle(done: pl.DataFrame) -> None:
        """Assign one pass's accepted candidates; what is paired leaves the open sets."""
        nonlocal open_l, open_r
        done = _claimed_rows(done)
        accepted = unambiguous(done.filter(pl.col("accept")))
        picked = assign(accepted.select("i", "j", "score", (pl.col("num_level") >= NumberLevel.EQUAL_NORM).alias("sure")))
        picked = done.join(picked.select("i", "j"), on=["i", "j"], how="semi")
        compared.append(done.select(EXPLAINED))  # what explanations read: not both sides' fields
        chosen.append(picked)
        open_l = open_l.join(picked, on="i", how="anti")
        open_r = open_r.join(picked, on="j", how="anti")

    first = [strong, weak]
    other_branch = pl.col("supplier_gstin_l") != pl.col("supplier_gstin_r")
    if config.pan_pass:
        # a wrong-branch booking of the very same number competes in the same assignment, so that
        # a weaker candidate under the right GSTIN cannot take its place
        first.append(_run_pass(open_l, open_r, PAN_BLOCK, config, other_branch & _same_document()))
    if config.other_supplier_pass:
        # the very document booked under another supplier altogether (the wrong ledger picked):
        # the same number, date and amounts; it competes too, so that its number's register row
        # under the right supplier (another document's slip) goes to that other document
        across = attach_sides(other_supplier_pairs(open_l, open_r), open_l, open_r)
        first.append(compare_pairs(across, config).filter(pl.col("differences") == "supplier_gstin"))
    settle(pl.concat(first, how="diagonal_relaxed"))
    del strong, weak, clean, first  # the compared pairs with both sides' fields: hundreds of MB at 1M
    if config.pan_pass:  # 2. same PAN, another GSTIN (a wrong branch), for what is left
        settle(_run_pass(open_l, open_r, PAN_BLOCK, config, other_branch & _same_document()))
    # 3. another document class (a supplier's credit note booked as a debit-note voucher): the
    #    normalised number and the taxable value must agree
    settle(_run_pass(open_l, open_r, CLASS_BLOCK, config, (pl.col("doc_class_l") != pl.col("doc_class_r"))
                     & (pl.col("num_level") >= NumberLevel.EQUAL_NORM)
                     & ~pl.col("differences").str.contains("taxable_value")))
    # 4. register rows without a GSTIN: the normalised number and the taxable value must agree
    no_gstin = open_r.filter(pl.col("supplier_gstin").is_null())
    settle(_run_pass(open_l, no_gstin, OPEN_BLOCK, config, (pl.col("num_level") >= NumberLevel.EQUAL_NORM)
                     & ~pl.col("differences").str.contains("taxable_value")))

    # of the chosen pairs, only what the pairs frame and the comparison texts read
    kept = ["i", "j", "differences", "score", *COMPARISON_FIELDS]
    stacked = pl.concat([c.select(kept) for c in chosen], how="vertical_relaxed")
    # 5. a document booked in parts: the paired row and the open rows of its identity add up
    split = booked_in_parts(stacked, left, right, open_r, config)
    pair_notes, part_rows = notes_of_parts(split, left, right)
    if split.height:
        stacked = compared_on_sums(stacked, split)
        # the parts and the row that now heads them (it may have been open) are all accounted for
        open_r = open_r.join(pl.concat([part_rows.select("j"), split.select("j")]), on="j", how="anti")
    paired = with_comparison(stacked)
    pairs = paired.join(pair_notes, on=["i", "j"], how="left").select(
        "i", "j",
        pl.when(pl.col("differences") != "").then(pl.lit(MatchStatus.MISMATCH.value))
        .when(pl.col("num_level") >= NumberLevel.EQUAL_NORM).then(pl.lit(MatchStatus.EXACT.value))
        .otherwise(pl.lit(MatchStatus.PROBABLE.value)).alias("match_status"),
        "differences", "score", "note",
        (pl.col("comparison") + pl.col("_comparison_tail").fill_null("")).alias("comparison"),
    )
    unpaired = explain_unpaired(
        left, right, open_l, open_r, copies, paired, pl.concat(compared, how="diagonal_relaxed"), config
    )
    out = pl.concat([pairs, unpaired, part_rows], how="diagonal_relaxed").rename({"i": "ims_idx", "j": "pr_idx"})
    return out.select([
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c) for c, t in PAIRS_SCHEMA.items()
    ])
