"""The portal's Y/N flags and filing status, in every spelling sources use (domain doc §3).

Flags (``ispendactblocked``, ``isRemarksBlocked``, ``isItcRedReqBlocked``, ``itcRedReq``) come as
``"Y"``/``"N"``, as words (``Yes``, ``No``) or as JSON booleans (``true``, stored as the text
``true`` once a record is read as text). Every reader of a flag — importers, the recommender, the
upload checks, the decision checks — goes through this module, so that none of them can read a
flag one way while another reads it the other way.

``srcfilstatus`` comes as ``Filed``/``Not Filed``, ``FILED``/``SAVED`` or one letter ``F``/``S``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

YES, NO = "Y", "N"
# folded spelling -> Y/N
FLAG_SPELLINGS: dict[str, str] = {
    "y": YES, "yes": YES, "true": YES, "t": YES, "1": YES,
    "n": NO, "no": NO, "false": NO, "f": NO, "0": NO,
}  # fmt: skip
# the model's flag columns (Y/N after import)
FLAG_FIELDS = ("ispendactblocked", "is_remarks_blocked", "is_itc_red_req_blocked", "itc_red_req")
# srcfilstatus spellings that say the supplier's return is filed (folded: letters only, lower case)
FILED_WORDS = ("filed", "f")


def _folded(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.String).str.strip_chars().str.to_lowercase()


def flag_expr(col: pl.Expr) -> pl.Expr:
    """A flag column as ``Y``/``N`` (null where blank or not a flag spelling)."""
    return _folded(col).replace_strict(FLAG_SPELLINGS, default=None, return_dtype=pl.String)


def flag_unreadable(col: pl.Expr) -> pl.Expr:
    """True where a flag cell holds something that is neither blank nor a flag spelling."""
    folded = _folded(col)
    return (folded.fill_null("") != "") & flag_expr(col).is_null()


def yes_expr(col: pl.Expr) -> pl.Expr:
    """True where a flag says yes (Y, Yes, true …); blank and anything else: False."""
    return flag_expr(col).fill_null(NO) == YES


def flag_value(value: Any) -> str | None:
    """One flag value as ``Y``/``N``, or None (blank, or not a flag)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, (int, float)) and value in (0, 1):
        return YES if value == 1 else NO
    return FLAG_SPELLINGS.get(str(value).strip().lower())


def is_yes(value: Any) -> bool:
    """One flag value says yes (``Y``, ``Yes``, ``true``, JSON true …)."""
    return flag_value(value) == YES


def filed_expr(col: pl.Expr) -> pl.Expr:
    """True where ``srcfilstatus`` says filed (``Filed``, ``FILED``, ``F``), False where it says
    anything else (``Not Filed``, ``SAVED``, ``S``), null where it is blank."""
    folded = _folded(col).str.replace_all(r"[^a-z]", "")
    return pl.when(folded.fill_null("") == "").then(None).otherwise(folded.is_in(FILED_WORDS))


# GSTR-2B's ITC availability (`itcavl`): Y/N, or T where a file says the credit is temporary
# (folded spellings; checked before the flag spellings, in which a lone T is "true")
# GSTR-2B's `itcavl` (domain doc §6): Y available, N not available, T (unconfirmed) temporarily not
# available. Y/N come in any flag spelling; these spellings (folded to their letters) say T, and are
# read before the flags (where a bare "t" would read as true).
TEMPORARY = "T"
TEMPORARY_WORDS = ("t", "temp", "temporary", "temporarilyunavailable", "temporarilynotavailable")


def itc_availability_expr(col: pl.Expr) -> pl.Expr:
    """ITC availability as ``Y``/``N``/``T`` (null where blank or none of these): every reader of
    GSTR-2B's `itcavl` (its JSON and Excel importers, the recommender) goes through this."""
    letters = _folded(col).str.replace_all(r"[^a-z]", "")
    return pl.when(letters.is_in(TEMPORARY_WORDS)).then(pl.lit(TEMPORARY)).otherwise(flag_expr(col))


__all__ = [
    "FILED_WORDS", "FLAG_FIELDS", "FLAG_SPELLINGS", "NO", "TEMPORARY", "TEMPORARY_WORDS", "YES", "filed_expr",
    "flag_expr", "flag_unreadable", "flag_value", "is_yes", "itc_availability_expr", "yes_expr",
]  # fmt: skip
