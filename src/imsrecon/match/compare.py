"""Compare candidate pairs field by field: a level per field, the differences, a score, and
whether the pair may be paired at all (and if not, which field ruled it out).

A pairs frame holds the IMS side's fields with suffix ``_l`` and the register's with ``_r``.
"""

from __future__ import annotations

import polars as pl

from imsrecon.config import MatchConfig
from imsrecon.match.numbers import NumberLevel, similarity, stem_series
from imsrecon.model import AMOUNT_HEADS

SIDE_FIELDS = (
    "supplier_gstin", "doc_no", "doc_no_norm", "core", "orig_doc_no_norm", "orig_core", "doc_date", "fy",
    "tax_period", "place_of_supply", "flags", "doc_class", *AMOUNT_HEADS, "amount_repeats",
)  # fmt: skip
# A register date taken from the voucher (posting) date may trail the supplier's date this much.
POSTING_LAG_DAYS = 60
TAX_HEADS = ("igst", "cgst", "sgst", "cess")
_NUMBER_WEIGHT = {
    NumberLevel.EQUAL: 1.0,
    NumberLevel.EQUAL_NORM: 0.97,
    NumberLevel.ORIGINAL: 0.9,
    NumberLevel.EQUAL_CORE: 0.85,
    NumberLevel.DIFFERENT: 0.0,
}
# Weights of the score's parts (sum 1).
W_NUMBER, W_DATE, W_TAXABLE, W_TAX, W_STRUCTURE = 0.45, 0.2, 0.2, 0.1, 0.05


def _l(name: str) -> pl.Expr:
    return pl.col(f"{name}_l")


def _r(name: str) -> pl.Expr:
    return pl.col(f"{name}_r")


def within_tolerance(a: pl.Expr, b: pl.Expr, config: MatchConfig) -> pl.Expr:
    """Two amounts agree: within ₹ tolerance_rupees, or tolerance_percent of ``a`` if larger."""
    tol = pl.max_horizontal(pl.lit(config.tolerance_rupees), a.abs() * (config.tolerance_percent or 0.0) / 100)
    return (a - b).abs() <= tol + 1e-9


def _closeness(a: pl.Expr, b: pl.Expr, config: MatchConfig) -> pl.Expr:
    """1 within tolerance, falling to 0 as the relative difference reaches 20 %."""
    rel = (a - b).abs() / pl.max_horizontal(a.abs(), b.abs(), pl.lit(1.0))
    return pl.when(within_tolerance(a, b, config)).then(1.0).otherwise((1 - rel * 5).clip(0.0, 1.0))


def number_levels(pairs: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Adds num_level (NumberLevel value), num_sim (0..1) and _dist (the cores' edit distance)
    for each pair."""
    dist, sim = similarity(pairs["core_l"], pairs["core_r"])
    pairs = pairs.with_columns(pl.Series("_dist", dist), pl.Series("num_sim", sim))
    raw_equal = _l("doc_no").str.strip_chars().str.to_uppercase() == _r("doc_no").str.strip_chars().str.to_uppercase()
    core_ok = _l("core").str.len_chars() >= 2
    pairs = pairs.with_columns(_same_short_stem(pairs))
    level = (
        pl.when(raw_equal).then(NumberLevel.EQUAL)
        .when(_l("doc_no_norm") == _r("doc_no_norm")).then(NumberLevel.EQUAL_NORM)
        .when(_l("orig_doc_no_norm") == _r("doc_no_norm")).then(NumberLevel.ORIGINAL)
        .when(core_ok & ((_l("core") == _r("core")) | (_l("orig_core") == _r("core")))).then(NumberLevel.EQUAL_CORE)
        .when(pl.col("_stem")).then(NumberLevel.EQUAL_CORE)
        .when(core_ok & (_r("core").str.len_chars() >= 2)
              & ((pl.col("_dist") <= 1) & (_l("core").str.len_chars() >= 3)
                 | (pl.col("num_sim") >= config.similarity_threshold))).then(NumberLevel.SIMILAR)
        .otherwise(NumberLevel.DIFFERENT)
    )
    pairs = pairs.with_columns(level.fill_null(NumberLevel.DIFFERENT).cast(pl.Int8).alias("num_level")).drop("_stem")
    return _slip_in_year_token(pairs)


MIN_SLIP_LENGTH = 5  # the numbers as written (normalised) a keystroke apart: at least this long


def _slip_in_year_token(pairs: pl.DataFrame) -> pl.DataFrame:
    """Numbers whose cores differ but that are a keystroke apart as written (normalised) are
    similar: the slip is in the part the core leaves out (``TI/14084/25-62`` for
    ``TI/14084/25-26``: no longer a year pair). Measured only where the level is different."""
    different = pairs.select(
        (pl.col("num_level") == NumberLevel.DIFFERENT)
        & (pl.min_horizontal(_l("doc_no_norm").str.len_chars(), _r("doc_no_norm").str.len_chars()) >= MIN_SLIP_LENGTH)
    ).to_series().fill_null(False)
    idx = different.arg_true()
    if idx.len() == 0:
        return pairs
    dist, sim = similarity(pairs["doc_no_norm_l"].gather(idx), pairs["doc_no_norm_r"].gather(idx))
    slip = idx.filter(pl.Series(dist <= 1))
    if slip.len() == 0:
        return pairs
    level = pairs["num_level"].scatter(slip, NumberLevel.SIMILAR)
    num_sim = pairs["num_sim"].scatter(slip, pl.Series(sim[dist <= 1]))
    return pairs.with_columns(level, num_sim)


def written_keystroke_apart(pairs: pl.DataFrame, idx: pl.Series) -> pl.Series:
    """Of the pairs at ``idx``, whose numbers are at level DIFFERENT, whether the numbers as
    written (normalised) are a keystroke apart. Only numbers shorter than MIN_SLIP_LENGTH are
    measured: :func:`_slip_in_year_token` measured the longer ones, and any a keystroke apart are
    similar, not different."""
    left, right = pairs["doc_no_norm_l"].gather(idx), pairs["doc_no_norm_r"].gather(idx)
    apart = pl.Series([False] * idx.len(), dtype=pl.Boolean)
    long = pl.DataFrame([left.str.len_chars().alias("l"), right.str.len_chars().alias("r")]).select(
        pl.min_horizontal("l", "r") >= MIN_SLIP_LENGTH
    ).to_series()
    short = (~long.fill_null(False)).arg_true()
    if short.len():
        dist, _ = similarity(left.gather(short), right.gather(short))
        apart = apart.scatter(short, pl.Series(dist <= 1))
    return apart


def _same_short_stem(pairs: pl.DataFrame) -> pl.Series:
    """A core of one character says little (``DN/25-26/5`` and ``5``), but with the prefix kept
    the numbers still name one document when only a year token tells them apart
    (``DN/25-26/005`` booked as ``DN-5``). Looked at only where the cores are that short."""
    short = pairs.select(
        (_l("core") == _r("core")) & (_l("core").str.len_chars() < 2) & (_l("doc_no_norm") != _r("doc_no_norm"))
    ).to_series().fill_null(False)
    same = pl.Series("_stem", [False] * pairs.height, dtype=pl.Boolean)
    idx = short.arg_true()
    if idx.len():
        left = stem_series(pairs["doc_no_l"].gather(idx), pairs["fy_l"].gather(idx))
        right = stem_series(pairs["doc_no_r"].gather(idx), pairs["fy_r"].gather(idx))
        same = same.scatter(idx, ((left == right) & (left.str.len_chars() >= 2)).fill_null(False))
    return same


def _slip_or_other(pairs: pl.DataFrame, asked: pl.Expr) -> pl.DataFrame:
    """Adds _slip_or_other: the two numbers are a keystroke apart (their cores or, for a slip in
    a year token that the core keeps, the numbers as written), or written differently, digits
    aside (the books' own voucher or receipt number); not when they are two numbers of one
    series. Measured only where ``asked`` and the cores are further apart: few pairs."""
    near = pairs["_dist"] <= 1
    far = pairs.select((pl.col("_dist") > 1) & asked & (pl.col("num_level") == NumberLevel.DIFFERENT)).to_series()
    idx = far.fill_null(False).arg_true()
    if idx.len():
        left, right = pairs["doc_no_norm_l"].gather(idx), pairs["doc_no_norm_r"].gather(idx)
        shape = r"[0-9]"
        other = (left.str.replace_all(shape, "9") != right.str.replace_all(shape, "9")).fill_null(True)
        near = near.scatter(idx, written_keystroke_apart(pairs, idx) | other)
    return pairs.with_columns(near.fill_null(False).alias("_slip_or_other"))


def compare_pairs(pairs: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Levels, differences, score, accept and ruled_out_by for every candidate pair."""
    if pairs.height == 0:
        return pairs.with_columns(
            pl.lit(None, pl.Int8).alias("num_level"), pl.lit(None, pl.Float64).alias("num_sim"),
            pl.lit(None, pl.Int32).alias("date_diff"), pl.lit(None, pl.String).alias("differences"),
            pl.lit(None, pl.Float64).alias("score"), pl.lit(None, pl.Boolean).alias("accept"),
            pl.lit(None, pl.String).alias("ruled_out_by"),
        )
    pairs = number_levels(pairs, config)
    window = config.date_window_days
    date_diff = (_r("doc_date") - _l("doc_date")).dt.total_days().cast(pl.Int32)
    pairs = pairs.with_columns(date_diff.alias("date_diff"))
    in_window = pl.col("date_diff").abs() <= window
    within = {h: within_tolerance(_l(h), _r(h), config) for h in AMOUNT_HEADS}
    tax_l = pl.sum_horizontal([_l(h) for h in TAX_HEADS])
    tax_r = pl.sum_horizontal([_r(h) for h in TAX_HEADS])
    tax_total_ok = within_tolerance(tax_l, tax_r, config)
    heads_ok = pl.all_horizontal([within[h] for h in TAX_HEADS])
    gstin_differs = _l("supplier_gstin").fill_null("") != _r("supplier_gstin").fill_null("")
    pos_differs = (_l("place_of_supply") != _r("place_of_supply")).fill_null(False)
    pairs = pairs.with_columns(
        pl.concat_str(
            [
                pl.when(_l("doc_class") != _r("doc_class")).then(pl.lit("doc_class")),
                pl.when(gstin_differs).then(pl.lit("supplier_gstin")),
                pl.when(pl.col("date_diff") != 0).then(pl.lit("doc_date")),
                *[pl.when(~within[h]).then(pl.lit(h)) for h in AMOUNT_HEADS],
                pl.when(pos_differs).then(pl.lit("place_of_supply")),
            ],
            separator=";", ignore_nulls=True,
        ).alias("differences"),
        tax_total_ok.alias("_tax_ok"),
        heads_ok.alias("_heads_ok"),
        within["taxable_value"].alias("_taxable_ok"),
    )

    pairs = _slip_or_other(pairs, in_window & pl.col("_taxable_ok") & (pl.col("date_diff") != 0))
    level = pl.col("num_level")
    number_score = (
        pl.when(level == NumberLevel.SIMILAR).then(0.45 + 0.4 * pl.col("num_sim"))
        .otherwise(level.replace_strict({int(k): v for k, v in _NUMBER_WEIGHT.items()}, default=0.0))
    )  # a weight for SIMILAR grows with the similarity
    date_score = pl.when(pl.col("date_diff") == 0).then(1.0).otherwise(
        pl.when(in_window).then(0.8 * (1 - pl.col("date_diff").abs() / (window + 1))).otherwise(0.0)
    )
    structure = pl.when(pl.col("_heads_ok")).then(1.0).when(pl.col("_tax_ok")).then(0.6).otherwise(0.0)
    score = (
        W_NUMBER * number_score
        + W_DATE * date_score
        + W_TAXABLE * _closeness(_l("taxable_value"), _r("taxable_value"), config)
        + W_TAX * _closeness(tax_l, tax_r, config)
        + W_STRUCTURE * structure
    ) * pl.when(gstin_differs).then(0.9).otherwise(1.0)

    same_fy = _l("fy") == _r("fy")
    strong = level >= NumberLevel.EQUAL_NORM
    medium = level.is_in([NumberLevel.ORIGINAL, NumberLevel.EQUAL_CORE])
    values_agree = pl.col("_taxable_ok") & pl.col("_tax_ok")
    posting_date = _r("flags").fill_null("").str.contains("doc_date_from_voucher") & (
        pl.col("date_diff").abs() <= POSTING_LAG_DAYS
    )
    # where the number does not settle it, the values and the date must: on the very date (or a
    # posting date in the window, where the books have no supplier date), or within the window
    # when the supplier did not bill the same amount again within it (a weekly delivery of one
    # amount has other documents a few days away; documents paired exactly do not count). A
    # number that differs outright must besides be a keystroke away, or be written another way
    # (the books' own voucher or receipt number): one of the supplier's own series is another of
    # the supplier's documents
    repeats = _l("amount_repeats").fill_null(False) | _r("amount_repeats").fill_null(False)
    same_day = (pl.col("date_diff") == 0) | (posting_date & in_window)
    near_day = same_day | (in_window & ~repeats)
    apart = same_day | (in_window & ~repeats & pl.col("_slip_or_other"))
    ok_number = (
        pl.when(strong).then(same_fy | in_window | posting_date)
        .when(medium).then(in_window | pl.col("_taxable_ok"))
        .when(level == NumberLevel.SIMILAR).then(near_day & values_agree)
        .otherwise(apart & values_agree & within["cess"])
    )
    ok_year = pl.lit(True) if config.cross_year else same_fy
    ok_period = pl.lit(True) if config.cross_period else (_l("tax_period") == _r("tax_period")).fill_null(True)
    accept = ok_number & ok_year & ok_period
    ruled_out_by = (
        pl.when(accept).then(pl.lit(None, pl.String))
        .when(~ok_year).then(pl.lit("fy"))
        .when(~ok_period).then(pl.lit("tax_period"))
        .when(~in_window).then(pl.lit("doc_date"))
        .when(~pl.col("_taxable_ok")).then(pl.lit("taxable_value"))
        .when(~pl.col("_tax_ok")).then(pl.lit("tax"))
        # the number does not settle it and the amount recurs within the window: the date must
        .when((level <= NumberLevel.SIMILAR) & repeats & ~same_day).then(pl.lit("doc_date"))
        .otherwise(pl.lit("doc_no"))
    )
    return pairs.with_columns(
        score.round(4).alias("score"), accept.alias("accept"), ruled_out_by.alias("ruled_out_by"),
    ).drop("_tax_ok", "_heads_ok", "_taxable_ok", "_dist", "_slip_or_other")


def score_for_level(level: pl.Expr) -> pl.Expr:
    """The score of a pair that agrees in everything but, perhaps, the number's spelling."""
    weight = level.replace_strict({int(k): v for k, v in _NUMBER_WEIGHT.items()}, default=0.0)
    return (1.0 - W_NUMBER * (1.0 - weight)).round(4)


def compare_exact(pairs: pl.DataFrame) -> pl.DataFrame:
    """The comparison of pairs already known equal in identity, date and amounts (no fuzzy
    work): numbers equal as written or after normalisation."""
    raw_equal = _l("doc_no").str.strip_chars().str.to_uppercase() == _r("doc_no").str.strip_chars().str.to_uppercase()
    level = pl.when(raw_equal).then(NumberLevel.EQUAL).otherwise(NumberLevel.EQUAL_NORM).cast(pl.Int8)
    return pairs.with_columns(
        level.alias("num_level"), pl.lit(1.0).alias("num_sim"), pl.lit(0, pl.Int32).alias("date_diff"),
        pl.lit("").alias("differences"), score_for_level(level).alias("score"), pl.lit(True).alias("accept"),
        pl.lit(None, pl.String).alias("ruled_out_by"),
    )


# what the comparison text is made of
COMPARISON_FIELDS = ["num_level", "num_sim", "date_diff", *[f"{h}_{s}" for h in AMOUNT_HEADS for s in "lr"]]


def with_comparison(pairs: pl.DataFrame) -> pl.DataFrame:
    """Adds the readable ``comparison`` of each compared pair. Pairs equal in every field (most
    of them) get their text without the per-field formatting work, and no row is moved: the
    others' texts are made from their few fields and put in place."""
    plain = (
        (pl.col("date_diff") == 0) & pl.col("num_level").is_in([NumberLevel.EQUAL, NumberLevel.EQUAL_NORM])
        & pl.all_horizontal([(_r(h) - _l(h)).abs() < 0.005 for h in AMOUNT_HEADS])
    )  # fmt: skip
    tail = " doc_date=equal " + " ".join(f"{h}=equal" for h in AMOUNT_HEADS)
    texts = pairs.select(
        plain.fill_null(False).alias("_plain"),
        pl.when(pl.col("num_level") == NumberLevel.EQUAL).then(pl.lit("doc_no=equal" + tail))
        .otherwise(pl.lit("doc_no=equal_norm" + tail)).alias("comparison"),
    )
    rest = ~texts["_plain"]
    # (one chunk: Polars 2.1 can panic formatting a frame stacked from several)
    detailed = pairs.select(COMPARISON_FIELDS).filter(rest).rechunk().select(comparison_expr()).to_series()
    return pairs.with_columns(texts["comparison"].scatter(rest.arg_true(), detailed))


_LEVEL_NAMES = {int(level): level.label for level in NumberLevel}


def comparison_expr() -> pl.Expr:
    """A readable record of every field's level, e.g.
    ``doc_no=similar(0.83) doc_date=+2d taxable_value=equal igst=+180.00(18.0%)``."""
    def head(h: str) -> pl.Expr:
        diff = _r(h) - _l(h)
        pct = (diff / pl.max_horizontal(_l(h).abs(), pl.lit(0.01)) * 100).round(1)
        return pl.format(
            "{}={}", pl.lit(h),
            pl.when(diff.abs() < 0.005).then(pl.lit("equal")).otherwise(
                pl.format("{}({}%)", diff.round(2).cast(pl.String), pct.cast(pl.String))
            ),
        )

    number = pl.col("num_level").replace_strict(_LEVEL_NAMES, default="different", return_dtype=pl.String)
    number = pl.when(pl.col("num_level") == NumberLevel.SIMILAR).then(
        pl.format("{}({})", number, pl.col("num_sim").round(2).cast(pl.String))
    ).otherwise(number)
    date = pl.when(pl.col("date_diff") == 0).then(pl.lit("equal")).otherwise(
        pl.format("{}d", pl.col("date_diff").cast(pl.String))
    )
    return pl.concat_str(
        [pl.format("doc_no={}", number), pl.format("doc_date={}", date), *[head(h) for h in AMOUNT_HEADS]],
        separator=" ",
    )

