"""Dates as books and portals write them, and the GST calendar (financial year, tax period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from imsrecon.normalise.scalar import apply_scalar

DAY_FIRST, MONTH_FIRST = "day_first", "month_first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)

# Tried in order; day-first (Indian books) unless a file's dates are month-first (see date_order).
DATE_FORMATS = (
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%d/%b/%Y",
    "%d %b %Y",
    "%d-%B-%Y",
    "%d %B %Y",
    "%d-%b-%y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d.%m.%y",
    "%d %b %y",
    "%Y.%m.%d",
    "%b %d, %Y",  # month names first are not ambiguous: "Apr 1, 2025"
    "%B %d, %Y",
    "%Y%m%d",
)
# The same, month-first where day and month are both numbers ("4/25/2025", as Excel writes dates
# on a computer set to US English); the formats with a month name stay as they are.
MONTH_FIRST_FORMATS = tuple(
    f.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m") if "%m" in f and "%d" in f and not f.startswith("%Y")
    else f
    for f in DATE_FORMATS
)
FORMATS_BY_ORDER = {DAY_FIRST: DATE_FORMATS, MONTH_FIRST: MONTH_FIRST_FORMATS}
# day and month as numbers, day or month first (the year last)
_NUMERIC = r"^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.](?:[0-9]{2}|[0-9]{4})$"
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serials accepted as dates: 1-Jan-1982 .. 31-Dec-2099.
_SERIAL_MIN, _SERIAL_MAX = 29952, 73050


def _clean(col: pl.Expr) -> pl.Expr:
    s = col.cast(pl.String).str.strip_chars()
    # a time after the date ("2025-04-01T00:00:00Z", "01-04-2025 10:30", "1/4/2025 12:00:00 AM")
    # is dropped; month names title-cased.
    s = s.str.replace(
        r"(?i)^(.+?)(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AP]M)?(?:Z|[+-]\d{2}:?\d{2})?$", "$1"
    )
    return s.str.to_titlecase()


def date_expr(col: pl.Expr, formats: tuple[str, ...] = DATE_FORMATS) -> pl.Expr:
    """String -> Date. Accepts the formats above, ISO date-times and Excel serial numbers."""
    return _parse(_clean(col), formats)


def _parse(s: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    parsed = []
    for fmt in formats:
        d = s.str.strptime(pl.Date, fmt, strict=False, exact=True)
        # chrono's %Y takes any number of digits: "1-Apr-25" must fall through to %y.
        parsed.append(pl.when(d.dt.year() >= 1900).then(d) if "%Y" in fmt else d)
    serial = s.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    from_serial = (
        pl.when(serial.is_between(_SERIAL_MIN, _SERIAL_MAX))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
        .otherwise(None)
        .cast(pl.Date)
    )
    return pl.coalesce([*parsed, from_serial])


def parse_date_series(values: pl.Series, order: str = DAY_FIRST) -> pl.Series:
    """Like :func:`date_expr` on a whole column, faster: each distinct cell is read once (a
    register of a million rows holds a few hundred dates), the formats that read a sample are
    tried first, and only cells still unread try every other format. ``order`` MONTH_FIRST reads
    numeric dates month-first."""
    formats = FORMATS_BY_ORDER[order]
    uniques = values.unique()
    if uniques.len() * 4 > values.len():  # mostly distinct: read the cells as they are
        return _parse_date_values(values, formats)
    read = pl.DataFrame({"v": uniques, "d": _parse_date_values(uniques, formats)})
    found = values.to_frame("v").join(read, on="v", how="left", nulls_equal=True, maintain_order="left")
    return found["d"].alias(values.name)


@dataclass(frozen=True)
class DateOrderEvidence:
    """Distinct numeric dates of some columns that can be read only one way: ``day_first`` ones
    have a first number above 12 ("25/4/2025"), ``month_first`` ones a second ("4/25/2025")."""

    day_first: int = 0
    month_first: int = 0
    example: str | None = None  # a month-first-only date

    def __add__(self, other: DateOrderEvidence) -> DateOrderEvidence:
        return DateOrderEvidence(self.day_first + other.day_first, self.month_first + other.month_first,
                                 self.example or other.example)

    @property
    def order(self) -> str:
        """MONTH_FIRST when some dates can only be month-first and none only day-first; else
        DAY_FIRST (the Indian order, also when nothing tells: every day 12 or less)."""
        return MONTH_FIRST if self.month_first and not self.day_first else DAY_FIRST


def date_order_evidence(values: pl.Series) -> DateOrderEvidence:
    """What a column's cells say about the order of day and month."""
    if values.dtype != pl.String:  # real dates (from Excel) or numbers: nothing to tell
        return DateOrderEvidence()
    parts = (
        values.drop_nulls().unique().to_frame("v")
        .select(pl.col("v"), _clean(pl.col("v")).str.extract_groups(_NUMERIC).alias("g"))
        .unnest("g").drop_nulls("1")
        .select("v", pl.col("1").cast(pl.Int32).alias("a"), pl.col("2").cast(pl.Int32).alias("b"))
    )
    day = parts.filter((pl.col("a") > 12) & (pl.col("b") <= 12))
    month = parts.filter((pl.col("b") > 12) & (pl.col("a") <= 12)).sort("v")
    return DateOrderEvidence(day.height, month.height, month["v"][0] if month.height else None)


def _parse_date_values(values: pl.Series, formats: tuple[str, ...] = DATE_FORMATS) -> pl.Series:
    text = values.to_frame("v").select(_clean(pl.col("v")))["v"]
    sample = text.drop_nulls().head(2000).to_frame("v")
    hits = [f for f in formats
            if sample.select(_parse(pl.col("v"), (f,)).is_not_null().any()).item()]
    out = text.to_frame("v").select(_parse(pl.col("v"), tuple(hits)).alias("d"))["d"]
    rest = out.is_null() & text.is_not_null() & (text != "")
    if rest.any():
        others = tuple(f for f in formats if f not in hits)
        idx = rest.arg_true()
        filled = text.gather(idx).to_frame("v").select(_parse(pl.col("v"), others).alias("d"))["d"]
        out = out.scatter(idx, filled)
    return out.alias(values.name)


def financial_year_expr(date: pl.Expr) -> pl.Expr:
    """Date -> financial year "YYYY-YY" (April to March)."""
    start = pl.when(date.dt.month() >= 4).then(date.dt.year()).otherwise(date.dt.year() - 1)
    return pl.format("{}-{}", start, ((start + 1) % 100).cast(pl.String).str.zfill(2))


def tax_period_expr(date: pl.Expr) -> pl.Expr:
    """Date -> tax period MMYYYY."""
    return date.dt.strftime("%m%Y")


def parse_date(text: object) -> dt.date | None:
    return apply_scalar(date_expr, text)


def financial_year(date: dt.date) -> str:
    start = date.year if date.month >= 4 else date.year - 1
    return f"{start}-{(start + 1) % 100:02d}"
