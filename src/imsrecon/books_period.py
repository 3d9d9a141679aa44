"""The books' period: which tax periods of the purchase register a run is about (pure).

A register usually covers a year; an IMS download covers what is pending now. Register rows of
other tax periods are not missing in IMS: IMS was never asked for them. Given the books' period
(``reconcile --period MMYYYY[:MMYYYY]``), register-only rows booked outside it leave
``missing_in_ims`` for a status of their own, ``other_period`` (counted apart in the summary,
the CLI table, the JSON and a sheet of the Excel report), so that ``missing_in_ims`` keeps its
meaning: booked in the period, and IMS does not hold it. Matching is not touched: every
register row is still a candidate, so a document reported late (an invoice of March in April's
GSTR-1) pairs with its booking of March.

A register row's tax period is the register's own (its voucher date's month, else the
document date's: see ``importers.assemble``); a row without one stays missing in IMS.

Without a books' period, :func:`span_warning` says when the register spans far more tax periods
than the IMS documents (:data:`SPAN_WARN_EXTRA`: unconfirmed what users find "far"; one constant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from imsrecon.result import MatchStatus

__all__ = ["SPAN_WARN_EXTRA", "BooksPeriod", "set_apart_other_periods", "span_warning"]

SPAN_WARN_EXTRA = 2  # warn when the register spans this many tax periods more than the IMS documents
_PERIOD = re.compile(r"^(0[1-9]|1[0-2])(20[1-9][0-9])$")  # MMYYYY
_GST_START = "072017"


def _index(mmyyyy: str) -> int:
    return int(mmyyyy[2:]) * 12 + int(mmyyyy[:2]) - 1


def _index_expr(col: pl.Expr) -> pl.Expr:
    return col.str.slice(2, 4).cast(pl.Int64, strict=False) * 12 + col.str.slice(0, 2).cast(pl.Int64, strict=False) - 1


@dataclass(frozen=True)
class BooksPeriod:
    """The tax periods ``first`` to ``last`` (MMYYYY, both included)."""

    first: str
    last: str

    @classmethod
    def parse(cls, text: str) -> BooksPeriod:
        """``MMYYYY`` or ``MMYYYY:MMYYYY`` (``042025:032026``: the financial year 2025-26); a
        ValueError says what is wrong."""
        parts = [p.strip() for p in text.strip().split(":")]
        if len(parts) > 2 or not all(_PERIOD.match(p) for p in parts):
            raise ValueError(f"{text!r} is not a tax period MMYYYY or a range MMYYYY:MMYYYY (e.g. 042025:032026)")
        first, last = parts[0], parts[-1]
        if _index(first) < _index(_GST_START):
            raise ValueError(f"{text!r} is before GST (its first tax period is {_GST_START})")
        if _index(first) > _index(last):
            raise ValueError(f"{text!r}: the first period comes after the last")
        return cls(first, last)

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first}:{self.last}"

    def holds(self, period: pl.Expr) -> pl.Expr:
        """True where the MMYYYY ``period`` lies in the books' period (null where not known)."""
        index = _index_expr(period)
        return (index >= _index(self.first)) & (index <= _index(self.last))


def set_apart_other_periods(result: pl.DataFrame, period: BooksPeriod | None) -> pl.DataFrame:
    """``result`` with its register-only rows booked outside ``period`` (``missing_in_ims``
    rows with a register tax period) given the status ``other_period`` and a reason saying so;
    every other row as it is. No period: the result itself."""
    if period is None:
        return result
    outside = (pl.col("match_status") == MatchStatus.MISSING_IN_IMS.value) & ~period.holds(
        pl.col("pr_tax_period")).fill_null(True)
    return result.with_columns(
        pl.when(outside).then(pl.lit(MatchStatus.OTHER_PERIOD.value)).otherwise("match_status").alias("match_status"),
        pl.when(outside)
        .then(pl.format("booked in tax period {}, outside the books' period {}: not looked for in this IMS "
                        "download (a document reported late still pairs with it)", "pr_tax_period", pl.lit(str(period))))
        .otherwise("reason").alias("reason"),
    )


def _periods(values: pl.Series) -> list[str]:
    return sorted(values.drop_nulls().unique().to_list(), key=lambda p: (p[2:], p[:2]))


def span_warning(result: pl.DataFrame) -> str | None:
    """A warning when the register's rows span at least :data:`SPAN_WARN_EXTRA` more tax periods
    than the IMS documents do (a year's register against a month's download): its rows of the
    other periods are counted missing in IMS. None otherwise."""
    pr = _periods(result.filter(pl.col("pr_row").is_not_null())["pr_tax_period"])
    ims = _periods(result.filter(pl.col("ims_doc_no").is_not_null())["ims_tax_period"])
    if len(pr) < len(ims) + SPAN_WARN_EXTRA:
        return None
    held = f"the IMS documents {len(ims)} ({_span(ims)})" if ims else "the IMS documents none"
    outside = result.filter(
        (pl.col("match_status") == MatchStatus.MISSING_IN_IMS.value) & ~pl.col("pr_tax_period").is_in(ims)
    ).height
    return (f"the register spans {len(pr)} tax periods ({_span(pr)}), {held}: {outside:,} register rows of other "
            "periods are counted missing in IMS; give --period MMYYYY[:MMYYYY] (the register's return period) "
            "to report them apart")


def _span(periods: list[str]) -> str:
    return periods[0] if len(periods) == 1 else f"{periods[0]}…{periods[-1]}"
