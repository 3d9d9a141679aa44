"""Amounts as books and portals write them: `1,18,000.00`, `(1,234.50)`, `-1234.5`, `₹ 5`, `12.5 Cr`."""

from __future__ import annotations

import polars as pl

from imsrecon.normalise.scalar import apply_scalar

# An amount beyond any real invoice (₹10^13, ten lakh crore): read, but warned (a number in scientific
# notation, digits of two cells run together, an account number in an amount column)
MAX_PLAUSIBLE_AMOUNT = 1e13
PLAUSIBLE_TEXT = "₹10^13 (ten lakh crore)"  # the same, for messages
NAN_TEXT = ("nan",)  # what pandas writes for a missing number

_SYMBOLS = r"₹|\bRs\.?|\bINR\b|\s|\u00a0"  # currency and blanks
_CURRENCY = rf"(?i)({_SYMBOLS}|,|')"  # ... and digit grouping
_BLANK = r"^(|-|—|–|nil|null|none|n/?a|nan)$"  # "nan": what a pandas export writes for an empty cell
_CURRENCY_WORDS = rf"(?i)({_SYMBOLS})"
_DECIMAL_COMMA = r"(?i)^[(\-]?[0-9.']*[0-9],[0-9]{1,2}\)?(-|/-|dr|cr)?$"
# digit grouping only, Indian (1,18,000.00) or international (118,000.00): the last group has 3 digits
_GROUPED = r"^-?[0-9]{1,3}(,[0-9]{2,3})*,[0-9]{3}(\.[0-9]+)?$"


def amount_expr(col: pl.Expr) -> pl.Expr:
    """String -> Float64 rupees. Blank-like cells become null; unreadable ones become null too
    (see :func:`amount_unreadable`, which tells the two apart)."""
    s = col.cast(pl.String).str.strip_chars().str.replace_all("\u2212", "-")
    # a decimal comma ("1.234,56", "1 18 000,00", "118000,5" from a European-locale export): the
    # comma before the last one or two digits is never digit grouping, whose last group has three
    bare = s.str.replace_all(_CURRENCY_WORDS, "")
    s = pl.when(bare.str.contains(_DECIMAL_COMMA)).then(
        bare.str.replace_all(r"[.']", "").str.replace(",", ".", literal=True)
    ).otherwise(s)
    s = s.str.replace_all(_CURRENCY, "")
    lowered = s.str.to_lowercase()
    neg_suffix = lowered.str.contains(r"(cr|[^/]-)$")
    s = s.str.replace(r"/-$", "")  # "1,18,000/-", as Indian documents write whole rupees
    s = s.str.replace(r"(?i)(dr|cr)$", "").str.replace(r"-$", "")
    paren = s.str.contains(r"^\(.*\)$")
    s = s.str.replace(r"^\((.*)\)$", "$1")
    value = s.cast(pl.Float64, strict=False)
    value = pl.when(lowered.str.contains(_BLANK) | ~value.is_finite()).then(None).otherwise(value)
    value = pl.when(paren | neg_suffix).then(-value.abs()).otherwise(value)
    return value.round(2)


def amount_blank(col: pl.Expr) -> pl.Expr:
    """True where a cell is empty or blank-like ("-", "nil", "N/A")."""
    raw = col.cast(pl.String).str.strip_chars()
    return raw.is_null() | raw.str.replace_all(_CURRENCY, "").str.to_lowercase().str.contains(_BLANK)


def amount_unreadable(col: pl.Expr) -> pl.Expr:
    """True where a cell holds something that is not blank-like and does not read as an amount."""
    return ~amount_blank(col) & amount_expr(col).is_null()


def parse_amount_series(values: pl.Series) -> pl.Series:
    """Like :func:`amount_expr` on a whole column, faster: plain numbers are cast directly, then
    numbers with digit grouping without their commas, and only the other cells (brackets, Dr/Cr,
    currency, blanks) go through the full rules."""
    text = values.cast(pl.String).str.strip_chars()
    direct = text.cast(pl.Float64, strict=False)
    direct = direct.set(~direct.is_finite().fill_null(True), None)  # "nan", "inf": the full rules decide
    rest = direct.is_null() & text.is_not_null()
    if rest.any():
        idx = rest.arg_true()
        # then numbers with digit grouping only ("1,18,000.00"): without the commas they cast
        part = text.gather(idx)
        grouped = part.to_frame("v").select(
            pl.when(pl.col("v").str.contains(_GROUPED)).then(pl.col("v").str.replace_all(",", "", literal=True))
            .cast(pl.Float64, strict=False)
        ).to_series()
        direct = direct.scatter(idx, grouped)
        left = idx.filter(grouped.is_null())
        if left.len():
            slow = text.gather(left).to_frame("v").select(amount_expr(pl.col("v")).alias("v"))["v"]
            direct = direct.scatter(left, slow)
    return direct.round(2).alias(values.name)


def parse_amount(text: object) -> float | None:
    return apply_scalar(amount_expr, text, pl.Float64)


def applicable_pct_expr(col: pl.Expr) -> pl.Expr:
    """GSTR-2B's applicable percentage of the tax rate (``diffprcnt``, "Applicable % of Tax Rate")
    in per cent: "65%" and 65 are 65, and a fraction (0.65, 1: what the portal's JSON writes, and a
    cell formatted as a percentage) is scaled to 65 and 100 — no applicable percentage of 1 % or less
    exists. Null where blank, not a number, or outside 0–100."""
    text = col.cast(pl.String).str.strip_chars()
    percent_sign = text.str.ends_with("%")
    number = text.str.strip_suffix("%").str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False)
    scaled = pl.when(~percent_sign & (number > 0) & (number <= 1)).then(number * 100).otherwise(number)
    return pl.when(amount_blank(text) | ~scaled.is_between(0, 100)).then(None).otherwise(scaled.round(4))
