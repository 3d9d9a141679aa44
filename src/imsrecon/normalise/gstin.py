"""GSTIN: shape, check character, PAN and state code (domain doc §8)."""

from __future__ import annotations

import re

import polars as pl

from imsrecon.normalise.scalar import per_distinct

GSTIN_PATTERN = r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9A-J][0-9A-Z]$"
# Other registrations (UIN, TDS/TCS, non-resident, OIDAR) share the 15-character frame.
GSTIN_LOOSE_PATTERN = r"^[0-9]{2}[0-9A-Z]{13}$"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_RE = re.compile(GSTIN_PATTERN)
_LOOSE_RE = re.compile(GSTIN_LOOSE_PATTERN)


def check_character(first14: str) -> str:
    """The check character for the first 14 characters of a GSTIN."""
    total = 0
    for i, ch in enumerate(first14):
        product = _ALPHABET.index(ch) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _ALPHABET[(36 - total % 36) % 36]


def gstin_problem(gstin: str | None) -> str | None:
    """None when the GSTIN is well formed with a correct check character, else the reason."""
    if gstin is None or gstin == "":
        return "blank GSTIN"
    if len(gstin) != 15:
        return f"GSTIN must have 15 characters, not {len(gstin)}"
    if not _LOOSE_RE.match(gstin):
        return "GSTIN has characters outside 0-9 A-Z or no 2-digit state code"
    if any(c not in _ALPHABET for c in gstin):
        return "GSTIN has characters outside 0-9 A-Z"
    if gstin[14] != check_character(gstin[:14]):
        return f"GSTIN check character should be {check_character(gstin[:14])}"
    if not _GSTIN_RE.match(gstin):
        return "GSTIN does not follow the normal-taxpayer pattern"
    return None


def gstin_clean_expr(col: pl.Expr) -> pl.Expr:
    """Upper case, spaces and stray punctuation removed; blank -> null. (A register holds few
    distinct GSTINs, so the work is done once per distinct value.)"""
    def clean(s: pl.Expr) -> pl.Expr:
        s = s.cast(pl.String).str.to_uppercase()
        # a GSTIN with words around it ("27AAPFU0939F1ZV (Maharashtra)", "GSTIN: 27AAPF…"): the GSTIN
        found = s.str.extract(r"(?:^|[^0-9A-Z])(" + GSTIN_PATTERN.strip("^$") + r")(?:[^0-9A-Z]|$)", 1)
        s = pl.coalesce(found, s.str.replace_all(r"[^0-9A-Z]", ""))
        return s.replace("", None)

    return per_distinct(col.cast(pl.String), clean, pl.String)


def gstin_problems(gstins: pl.Series) -> pl.Series:
    """Series of problems (null where fine), computed once per distinct GSTIN."""
    uniques = gstins.drop_nulls().unique().to_list()
    problems = {g: gstin_problem(g) for g in uniques}
    return gstins.replace_strict(problems, default=None, return_dtype=pl.String)


def pan_expr(gstin: pl.Expr) -> pl.Expr:
    return gstin.str.slice(2, 10)


def state_code_expr(gstin: pl.Expr) -> pl.Expr:
    return gstin.str.slice(0, 2)
