"""Document numbers as books garble them: the core of a number, its near neighbours, and how
alike two numbers are.

``doc_no_norm`` (importers) folds case, separators and leading zeros. The *core* also drops
financial-year tokens in every common spelling (``2025-26``, ``25-26``, ``2025/26``,
``2025-2026``, ``FY25-26``, ``20252026``), a year written as a segment of its own (``SI/2526/45``,
``INV/2025/123``: once, and only where digits remain), a leading alphabetic prefix
(``MH/77`` → ``77``), and a remark the books wrote after the number (``77 (Ramesh)``,
``77 dt 12.03.25``).
"""

from __future__ import annotations

import functools
import re
from enum import IntEnum

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA

from imsrecon.normalise.docno import doc_no_norm_expr

# Two years side by side: 2025-26, 25-26, 2025/26, 2025-2026, FY 25-26, and 20252026 / FY2526.
# The pairs are spelled out (the second year follows the first) so that two numbers that are not
# a year pair ("2025/25" in TI/2025/25-26) are never taken for one and cannot hide the real one.
_FY_PAIRS = [(f"{y % 100:02d}", f"{(y + 1) % 100:02d}") for y in range(1999, 2099)]


def _year_pairs(between: str) -> str:
    """Every year pair with ``between`` between its years, grouped by the first digit (the
    regex engine then tries ten branches and ten more, not a hundred)."""
    by_digit: dict[str, list[str]] = {}
    for a, b in _FY_PAIRS:
        by_digit.setdefault(a[0], []).append(f"{a[1]}{between}{b}")
    return "(?:" + "|".join(f"{d}(?:{'|'.join(rest)})" for d, rest in by_digit.items()) + ")"


_FY_TOKEN = re.compile(
    r"(?<![0-9])(?:FY\s*)?(?:20)?" + _year_pairs(r"\s*[-/]\s*(?:20)?") + r"(?![0-9])"
    r"|(?<![0-9])20" + _year_pairs("20") + r"(?![0-9])"
    r"|FY\s*(?:20)?" + _year_pairs("(?:20)?") + r"(?![0-9])"
)
MIN_CORE_FOR_NEIGHBOURS = 2

# a remark after the number (upper case): a bracketed note, or the document's date, named
# ("DT 12.03.25") or set off by a blank or a comma (which a portal number never holds)
_NOTE = (
    r"\s*\([^()]*\)\s*$|\s+(?:DT|DTD|DATED|DATE)\b\.?\s*[:\-]?\s*[0-9].*$"
    r"|[\s,;]+[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2})$"
)

# A year as a segment of its own, as the document's own financial year writes it: its calendar
# years (2025, 2026, or the one before) or the year pair in four digits (2526, or 2425).
# Dropped only where other digits stay (``INV/2025`` is invoice 2025 of series INV) and no other
# run of digits reads as one of those years (in ``2025/2026`` either may be the counter). Numbers
# without such a segment (any 20xx or four-digit year pair) skip the Python step.
_YEAR_SEGMENT = r"(?:^|[^0-9A-Z])(?:20[0-9]{2}|" + _year_pairs("") + r")(?:[^0-9A-Z]|$)"
_DIGIT_RUN = re.compile(r"[0-9]+")
_SEGMENT_RUN = re.compile(r"(?<![0-9A-Z])[0-9]+(?![0-9A-Z])")


@functools.cache
def year_words(fy_start: int) -> frozenset[str]:
    """How a number may write the financial year starting in ``fy_start`` as a segment."""
    y = fy_start
    compact = (f"{(y - 1) % 100:02d}{y % 100:02d}", f"{y % 100:02d}{(y + 1) % 100:02d}")
    return frozenset({str(y - 1), str(y), str(y + 1), *compact})


def drop_year_segment(number: str, fy_start: int | None) -> str:
    """``number`` (upper case) without the segment that writes its document's year, where that
    is unambiguous (see above); else as it was."""
    if fy_start is None:
        return number
    words = year_words(fy_start)
    runs = _DIGIT_RUN.findall(number)
    if len(runs) < 2 or len(words.intersection(runs)) != 1 or sum(r in words for r in runs) != 1:
        return number
    found = next((m for m in _SEGMENT_RUN.finditer(number) if m.group() in words), None)
    return number if found is None else number[: found.start()] + "/" + number[found.end() :]


class NumberLevel(IntEnum):
    """How two document numbers agree, strongest first (higher is stronger)."""

    DIFFERENT = 0
    SIMILAR = 1  # one keystroke apart, or similarity above the threshold
    EQUAL_CORE = 2  # equal once year tokens and an alphabetic prefix are dropped (a core of one
    #                 character: equal once year tokens are dropped, the prefix kept)
    ORIGINAL = 3  # the register holds the amendment's original number
    EQUAL_NORM = 4  # equal after folding case, separators and leading zeros
    EQUAL = 5  # equal as written (case and surrounding spaces aside)

    @property
    def label(self) -> str:
        return self.name.lower()


def strip_fy_tokens(number: str) -> str:
    """Drop financial-year tokens whose second year follows the first (2025-26, 24/25 …)."""
    return _FY_TOKEN.sub("/", number.upper())


def _year_free(numbers: pl.Series, fy: pl.Series | None, part: str) -> pl.Series:
    """Each number without its year tokens, normalised (``stem``), or that without an
    alphabetic prefix either (``core``); ``fy`` is each document's financial year ("2025-26"),
    which tells a year segment from a counter. Computed once per distinct number and year."""
    start = fy if fy is not None else pl.Series([None] * numbers.len(), dtype=pl.String)
    keys = pl.DataFrame({"n": numbers, "y": start.str.slice(0, 4).cast(pl.Int32, strict=False)})
    uniques = keys.drop_nulls("n").unique()
    # what hand-kept books write beside the number: "INV 507 (Ramesh)", "581 dt 01.05.25"
    stripped = uniques["n"].str.to_uppercase().str.replace(_NOTE, "")
    # only numbers that may hold a year token go through Python
    maybe = stripped.str.contains(r"[0-9]{2}\s*[-/]\s*[0-9]{2}|20[0-9]{2}20[0-9]{2}|FY")
    idx = maybe.arg_true()
    if idx.len():
        fixed = pl.Series([strip_fy_tokens(n) for n in stripped.gather(idx).to_list()], dtype=pl.String)
        stripped = stripped.scatter(idx, fixed)
    idx = stripped.str.contains(_YEAR_SEGMENT).fill_null(False).arg_true()
    if idx.len():
        years = uniques["y"].gather(idx).to_list()
        fixed = [drop_year_segment(n, y) for n, y in zip(stripped.gather(idx).to_list(), years, strict=True)]
        stripped = stripped.scatter(idx, pl.Series(fixed, dtype=pl.String))
    parts = (
        uniques.with_columns(stripped.alias("s"))
        .with_columns(doc_no_norm_expr(pl.col("s")).alias("stem"))
        .with_columns(
            pl.coalesce(
                pl.col("stem").str.replace(r"^[A-Z]+", "").replace("", None), pl.col("stem"), pl.lit("")
            ).alias("core")
        )
    )
    found = keys.join(parts.select("n", "y", part), on=["n", "y"], how="left", maintain_order="left", nulls_equal=True)
    return found[part].alias(numbers.name)


def core_series(numbers: pl.Series, fy: pl.Series | None = None) -> pl.Series:
    """The core of each number: year tokens and an alphabetic prefix dropped, normalised."""
    return _year_free(numbers, fy, "core")


def stem_series(numbers: pl.Series, fy: pl.Series | None = None) -> pl.Series:
    """Each number with its year tokens dropped, normalised (``DN/25-26/005`` → ``DN5``)."""
    return _year_free(numbers, fy, "stem")


def with_cores(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the ``core`` of its numbers and of its original (amended) numbers."""
    return frame.with_columns(
        core_series(frame["doc_no"], frame["fy"]).alias("core"),
        core_series(frame["orig_doc_no"], frame["fy"]).alias("orig_core"),
    )


NEIGHBOUR_POSITIONS = 16  # deletions are made in the first 16 characters of a core


def explode_neighbours(frame: pl.DataFrame, core: str, out: str) -> pl.DataFrame:
    """``frame`` with one row per neighbour key of its ``core`` column (in column ``out``): the
    core itself and every string made by deleting one of its characters (the first
    NEIGHBOUR_POSITIONS), so that two cores one edit apart (substitution, insertion, deletion or
    adjacent transposition) share a key. A null core gives one row with a null key. One row per
    key and one slice per row: cheaper than building a list of keys per core."""
    n = pl.col(core).str.len_chars().clip(upper_bound=NEIGHBOUR_POSITIONS).fill_null(0)
    rows = frame.with_columns(pl.int_ranges(-1, n).alias("_pos")).explode("_pos")
    pos = pl.col("_pos")
    deleted = pl.col(core).str.slice(0, pos.clip(0)) + pl.col(core).str.slice(pos + 1)
    return rows.with_columns(pl.when(pos < 0).then(pl.col(core)).otherwise(deleted).alias(out)).drop("_pos")


def similarity(a: pl.Series, b: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(edit distance with adjacent transpositions, normalised similarity 0..1) pairwise."""
    left = a.fill_null("").to_list()
    right = b.fill_null("").to_list()
    if not left:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    dist = np.asarray(process.cpdist(left, right, scorer=OSA.distance, workers=-1), dtype=np.int64)
    # OSA's normalised similarity is 1 - distance / the longer length (1 for two empty strings):
    # derived here instead of a second pass over every pair
    longer = np.maximum(a.fill_null("").str.len_chars().to_numpy(), b.fill_null("").str.len_chars().to_numpy())
    sim = np.where(longer > 0, 1.0 - dist / np.maximum(longer, 1), 1.0)
    return dist, sim.astype(np.float64)
