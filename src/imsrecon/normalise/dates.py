"""Dates as books and portals write them, and the GST calendar (financial year, tax period)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from imsrecon.normalise.scalar import apply_scalar

# Tried in order; day-first everywhere (Indian books), never month-first.
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


def parse_date_series(values: pl.Series) -> pl.Series:
    """Like :func:`date_expr` on a whole column, faster: each distinct cell is read once (a
    register of a million rows holds a few hundred dates), the formats that read a sample are
    tried first, and only cells still unread try every other format."""
    uniques = values.unique()
    if uniques.len() * 4 > values.len():  # mostly distinct: read the cells as they are
        return _parse_date_values(values)
    read = pl.DataFrame({"v": uniques, "d": _parse_date_values(uniques)})
    found = values.to_frame("v").join(read, on="v", how="left", nulls_equal=True, maintain_order="left")
    return found["d"].alias(values.name)


def _parse_date_values(values: pl.Series) -> pl.Series:
    text = values.to_frame("v").select(_clean(pl.col("v")))["v"]
    sample = text.drop_nulls().head(2000).to_frame("v")
    hits = [f for f in DATE_FORMATS
            if sample.select(_parse(pl.col("v"), (f,)).is_not_null().any()).item()]
    out = text.to_frame("v").select(_parse(pl.col("v"), tuple(hits)).alias("d"))["d"]
    rest = out.is_null() & text.is_not_null() & (text != "")
    if rest.any():
        others = tuple(f for f in DATE_FORMATS if f not in hits)
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
