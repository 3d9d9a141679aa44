"""The facts a recommendation reads besides the match status: GSTR-2B's ITC availability and its
reason, the differences that change no ITC, whether only the date differs, and whether a document
passes through IMS at all.

Row facts (:func:`with_row_facts`) are computed once per row, before the recommender decides each
combination of its inputs once: they are a handful of booleans, so the combinations stay few.
"""

from __future__ import annotations

import polars as pl

from imsrecon.model import Side
from imsrecon.normalise.flags import TEMPORARY, itc_availability_expr
from imsrecon.normalise.scalar import per_distinct

# The differences (names as in ``differences``) that leave the ITC unchanged: the ITC is the tax,
# so neither a document date nor a taxable value that differs (the tax heads agreeing: they are
# differences of their own) changes it. A GSTIN, class or place of supply that differs is another
# document, or changes the heads, and is not here.
NO_ITC_CHANGE: frozenset[str] = frozenset({"doc_date", "taxable_value"})

ITC_TEMPORARY = TEMPORARY  # GSTR-2B's T: temporarily not available (normalise/flags.py)
# UNCONFIRMED: GSTR-2B's `rsn` codes for ITC not available, in words; any other text is shown as given.
ITC_REASONS: dict[str, str] = {
    "P": "the place of supply is the supplier's state, not yours",
    "C": "the supplier's return was filed after the section 16(4) time limit",
}
# the sides whose documents are GSTR-2B or GSTR-2A records (not IMS records)
STATEMENT_SIDES = (Side.GSTR2B.value, Side.GSTR2A.value)

# the helper columns with_row_facts adds
FACT_COLUMNS = ("_date_only", "_outside_ims")


ITC_STATE = per_distinct(pl.col("itc_availability"), itc_availability_expr, pl.String)
# GSTR-2B says the document gives no ITC (now)
itc_not_available = ITC_STATE.is_in(["N", ITC_TEMPORARY]).fill_null(False)


def _reason_words(col: pl.Expr) -> pl.Expr:
    text = col.cast(pl.String).str.strip_chars().replace("", None)
    return text.str.to_uppercase().replace_strict(ITC_REASONS, default=text, return_dtype=pl.String)


_REASON = per_distinct(pl.col("itc_reason"), _reason_words, pl.String)
# "GSTR-2B shows no ITC available on it (reason)"; null where ITC is available or not known
ITC_WORDS = (
    pl.when(ITC_STATE == ITC_TEMPORARY).then(pl.lit("GSTR-2B shows its ITC as temporarily not available"))
    .when(ITC_STATE == "N").then(pl.lit("GSTR-2B shows no ITC available on it"))
    + pl.when(_REASON.is_not_null()).then(pl.lit(" (") + _REASON + pl.lit(")")).otherwise(pl.lit(""))
)  # fmt: skip


def applicable_percent(col: pl.Expr) -> pl.Expr:
    """``applicable_pct`` in per cent: a fraction (0.65) is read as 65 %, since no applicable
    percentage of 1 % or less exists."""
    return pl.when(col.abs() <= 1).then(col * 100).otherwise(col)


_PCT = applicable_percent(pl.col("applicable_pct"))
# "tax at 65% of the rate (GSTR-2B)" where the applicable percentage is below 100
PCT_WORDS = pl.when((_PCT > 0) & (_PCT < 100 - 1e-9)).then(
    pl.lit("tax at ") + _PCT.round(2).cast(pl.String).str.strip_suffix(".0") + pl.lit("% of the rate (GSTR-2B)")
)


def differences_within(allowed: frozenset[str]) -> pl.Expr:
    """True where the row has differences and every one is in ``allowed``."""
    names = pl.col("differences").fill_null("").str.split(";").list.eval(pl.element().filter(pl.element() != ""))
    return (names.list.len() > 0) & names.list.eval(pl.element().is_in(sorted(allowed))).list.all()


def _month(date: pl.Expr) -> pl.Expr:
    return date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32)


def _flag(frame: pl.DataFrame, where: pl.Expr, fact: pl.Expr) -> pl.Series:
    """``fact`` on the rows where ``where`` holds (few), False elsewhere: the fact's work is done on
    those rows only."""
    mask = frame.select(where.fill_null(False)).to_series()
    out = pl.Series([False] * frame.height, dtype=pl.Boolean)
    at = mask.arg_true()
    if at.len():
        out = out.scatter(at, frame.filter(mask).select(fact.fill_null(False)).to_series())
    return out


def with_row_facts(frame: pl.DataFrame, date_window_days: int) -> pl.DataFrame:
    """``frame`` with ``_date_only``: a mismatch whose only difference is the document date, the
    two dates at most ``date_window_days`` apart and in the same month (so in one tax period and one
    financial year); and ``_outside_ims``: a GSTR-2B or GSTR-2A document that does not pass through
    IMS — under reverse charge, or not in the IMS download reconciled with it (documents of a
    recipient whose IMS documents are in the result, but not this one: ISD, reverse charge,
    records ineligible by place of supply or section 16(4), or records already gone from IMS after
    GSTR-3B)."""
    ims, pr = pl.col("ims_doc_date"), pl.col("pr_doc_date")
    date_only = _flag(
        frame, (pl.col("match_status") == "mismatch") & (pl.col("differences") == "doc_date"),
        ((pr - ims).dt.total_days().abs() <= date_window_days) & (_month(ims) == _month(pr)),
    )  # fmt: skip
    side = pl.col("ims_side")
    statement = side.is_in(STATEMENT_SIDES)
    recipient = pl.col("recipient_gstin").fill_null("")
    with_ims = frame.filter(side == Side.IMS.value).select(recipient.unique())["recipient_gstin"]
    outside = _flag(frame, statement, pl.col("reverse_charge").fill_null(False) | recipient.is_in(with_ims.implode()))
    return frame.with_columns(date_only.alias("_date_only"), outside.alias("_outside_ims"))


__all__ = [
    "FACT_COLUMNS", "ITC_REASONS", "ITC_TEMPORARY", "ITC_WORDS", "NO_ITC_CHANGE", "PCT_WORDS",
    "STATEMENT_SIDES", "applicable_percent", "differences_within", "itc_availability_expr", "itc_not_available",
    "with_row_facts",
]  # fmt: skip
