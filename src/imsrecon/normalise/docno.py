"""Document numbers: the normalised form used for matching."""

from __future__ import annotations

import polars as pl

from imsrecon.normalise.scalar import apply_scalar

MAX_DOC_NO_LENGTH = 16
DOC_NO_ALLOWED = r"^[A-Za-z0-9/\-]+$"


def doc_no_norm_expr(col: pl.Expr) -> pl.Expr:
    """Case folded, leading zeros of each numeric run dropped, separators and spaces removed.

    ``inv/0012``, ``INV-12`` and ``INV 012`` all become ``INV12``.
    """
    s = col.cast(pl.String).str.strip_chars().str.to_uppercase()
    s = s.str.replace_all(r"(^|[^0-9])0+([0-9])", "${1}${2}")
    s = s.str.replace_all(r"[^A-Z0-9]", "")
    return s.replace("", None)  # one reference: a when/then on s would compute it twice


def normalise_doc_no(text: object) -> str | None:
    return apply_scalar(doc_no_norm_expr, text)
