"""Document numbers: the normalised form used for matching."""

from __future__ import annotations

import polars as pl

from imsrecon.normalise.scalar import apply_scalar

MAX_DOC_NO_LENGTH = 16
DOC_NO_ALLOWED = r"^[A-Za-z0-9/\-]+$"
# a number that a spreadsheet held as a number and a CSV export wrote as one: "12345.0" is 12345;
# "9.87654E+11" has lost its digits for good
SPREADSHEET_NUMBER = r"^([0-9]+)\.0+$"  # group 1: the number's digits
SCIENTIFIC_NUMBER = r"(?i)^[0-9]+(\.[0-9]+)?E\+?[0-9]+$"


def doc_no_norm_expr(col: pl.Expr) -> pl.Expr:
    """Case folded, leading zeros of each numeric run dropped, separators and spaces removed.

    ``inv/0012``, ``INV-12`` and ``INV 012`` all become ``INV12``; ``12345.0`` (a spreadsheet's
    number written out by a CSV export) becomes ``12345``.
    """
    s = col.cast(pl.String).str.strip_chars().str.to_uppercase()
    s = s.str.replace(SPREADSHEET_NUMBER, "${1}")
    s = s.str.replace_all(r"(^|[^0-9])0+([0-9])", "${1}${2}")
    s = s.str.replace_all(r"[^A-Z0-9]", "")
    return s.replace("", None)  # one reference: a when/then on s would compute it twice


def normalise_doc_no(text: object) -> str | None:
    return apply_scalar(doc_no_norm_expr, text)
