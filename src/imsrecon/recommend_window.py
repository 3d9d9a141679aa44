"""How long a specified record (a credit note) may be kept pending (domain doc §4).

The limit runs from the record's GSTR-2B period (``gstr2b_period``; the supplier's period
``ims_tax_period`` stands in only where it is not known) and its length from the recipient's
GSTR-3B filing frequency (``[filing]`` in the settings file, :class:`~imsrecon.config.FilingConfig`):

- monthly: until the GSTR-3B due date of the period after the 2B period (the 20th of the month
  after next);
- quarterly (QRMP): one quarter, until the GSTR-3B due date of the quarter after the 2B period's
  quarter (the 22nd or 24th, by the recipient's state, of the month after that quarter ends).

The due days are **unconfirmed**: they are kept in one table, :data:`GSTR3B_DUE_DAY`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from imsrecon.config import MONTHLY, QUARTERLY, FilingConfig
from imsrecon.normalise.scalar import per_distinct

# "Specified records" (domain doc §4): credit notes and their amendments. Pending is allowed for them
# from the Oct-2025 tax period on, for one tax period only. Both section spellings are read (§2).
# The "some downward amendments" of invoices are not identified yet: add their sections here.
SPECIFIED_SECTIONS: tuple[str, ...] = ("b2bcn", "b2bcna", "cn", "cna")
SPECIFIED_PENDING_FROM = (2025, 10)  # first tax period (year, month) where Pending is allowed at all

# UNCONFIRMED: the GSTR-3B due day, in the month after the period (monthly) or the quarter
# (quarterly) it is for. Quarterly filers' day depends on their state (first two digits of the
# GSTIN): the 22nd in the states listed, the 24th elsewhere ("*").
_QUARTERLY_22ND = ("22", "23", "24", "25", "26", "27", "29", "30", "31", "32", "33", "34", "35", "36", "37")
GSTR3B_DUE_DAY: dict[str, dict[str, int]] = {
    MONTHLY: {"*": 20},
    QUARTERLY: {"*": 24, **dict.fromkeys(_QUARTERLY_22ND, 22)},
}
# the 2B period a window runs from: the record's own, else the supplier's period
TWO_B_PERIOD = pl.coalesce(pl.col("gstr2b_period").str.strip_chars().replace("", None), pl.col("ims_tax_period"))
WINDOW_INPUTS = ("gstr2b_period", "ims_tax_period", "recipient_gstin")  # the columns the window reads


def month_index(raw: pl.Expr) -> pl.Expr:
    """MMYYYY -> months since year 0 (null where it is not a period)."""
    period = raw.fill_null("").str.strip_chars()
    month = period.str.slice(0, 2).cast(pl.Int64, strict=False)
    year = period.str.slice(2, 4).cast(pl.Int64, strict=False)
    valid = (period.str.len_chars() == 6) & month.is_between(1, 12)
    return pl.when(valid).then(year * 12 + month - 1)


def _due_day(frequency: pl.Expr, recipient: pl.Expr) -> pl.Expr:
    state = recipient.fill_null("").str.slice(0, 2)
    days = {f: state.replace_strict({k: v for k, v in t.items() if k != "*"}, default=t["*"], return_dtype=pl.Int64)
            for f, t in GSTR3B_DUE_DAY.items()}
    return pl.when(frequency == QUARTERLY).then(days[QUARTERLY]).otherwise(days[MONTHLY])


def specified_window(today: dt.date, filing: FilingConfig | None = None) -> list[pl.Expr]:
    """``_spec_pending_ok``: a specified record may be kept pending today; ``_spec_why``: why not."""
    filing = filing or FilingConfig()
    index = per_distinct(TWO_B_PERIOD, month_index, pl.Int64)  # few periods: once each
    recipient = pl.col("recipient_gstin").fill_null("").str.strip_chars().str.to_uppercase()
    frequency = recipient.replace_strict(dict(filing.by_gstin), default=filing.default, return_dtype=pl.String)
    quarterly = frequency == QUARTERLY
    start = SPECIFIED_PENDING_FROM[0] * 12 + SPECIFIED_PENDING_FROM[1] - 1
    # the month whose due day ends the window: the month after next (monthly); the month after the
    # quarter that follows the 2B period's quarter (quarterly: its quarter ends at index - index % 3 + 2)
    deadline = pl.when(quarterly).then(index - index % 3 + 6).otherwise(index + 2)
    day = _due_day(frequency, recipient)
    now = today.year * 12 + today.month - 1
    in_window = (pl.lit(now) < deadline) | ((pl.lit(now) == deadline) & (pl.lit(today.day) <= day))
    ok = (index >= start) & in_window
    ended = (
        day.cast(pl.String).str.zfill(2) + pl.lit("-")
        + (deadline % 12 + 1).cast(pl.String).str.zfill(2) + pl.lit("-") + (deadline // 12).cast(pl.String)
    )
    length = pl.when(quarterly).then(pl.lit("one-quarter")).otherwise(pl.lit("one-period"))
    why = (
        pl.when(index.is_null()).then(pl.lit("its GSTR-2B period is unknown, so this credit note cannot be kept pending"))
        .when(index < start).then(pl.lit("credit notes before the Oct-2025 tax period cannot be kept pending"))
        .otherwise(pl.lit("its ") + length + pl.lit(" Pending window ended on ") + ended)
    )  # fmt: skip
    return [ok.fill_null(False).alias("_spec_pending_ok"), why.alias("_spec_why")]


__all__ = [
    "GSTR3B_DUE_DAY", "SPECIFIED_PENDING_FROM", "SPECIFIED_SECTIONS", "TWO_B_PERIOD", "WINDOW_INPUTS", "month_index",
    "specified_window",
]  # fmt: skip
