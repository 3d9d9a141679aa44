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

# a remark after the number (upper case): a bracketed note, or the document's date
_NOTE = r"\s*\([^()]*\)\s*$|\s+(?:DT|DTD|DATED|DATE)\b\.?\s*[:\-]?\s*[0-9].*$"

# A year as a segment of its own: 2017 … 2040 (GST began in 2017) or a compact financial year
# 1718 … 3940. Dropped only where another digit stays (``INV/2025`` is invoice 2025 of series INV)
# and no other run of digits reads as a year (in ``2019/2025`` either may be the counter): a year
# with digits after it (``2526/45``), else one that ends the number (``45/2025``).
_YEAR_WORDS = [str(y) for y in range(2017, 2041)] + [f"{y % 100:02d}{(y + 1) % 100:02d}" for y in range(2017, 2040)]
_YEARS = "|".join(_YEAR_WORDS)
_YEAR_BEFORE_DIGITS = rf"(^|[^0-9A-Z])(?:{_YEARS})([^0-9A-Z][^0-9]*[0-9])"
_YEAR_AFTER_DIGITS = rf"([0-9][^0-9]*[^0-9A-Z])(?:{_YEARS})$"


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


def _year_free(numbers: pl.Series, part: str) -> pl.Series:
    """Each number without its year tokens, normalised (``stem``), or that without an
    alphabetic prefix either (``core``); computed once per distinct number."""
    uniques = numbers.drop_nulls().unique()
    # what hand-kept books write beside the number: "INV 507 (Ramesh)", "581 dt 01.05.25"
    stripped = uniques.str.to_uppercase().str.replace(_NOTE, "")
    # only numbers that may hold a year token go through Python
    maybe = stripped.str.contains(r"[0-9]{2}\s*[-/]\s*[0-9]{2}|20[0-9]{2}20[0-9]{2}|FY")
    idx = maybe.arg_true()
    if idx.len():
        fixed = pl.Series([strip_fy_tokens(n) for n in stripped.gather(idx).to_list()], dtype=pl.String)
        stripped = stripped.scatter(idx, fixed)
    # a year segment only where the number has one run of digits that reads as a year: in
    # 2019/2025 either may be the counter, and neither is dropped
    dropped = stripped.str.replace(_YEAR_BEFORE_DIGITS, "${1}/${2}").str.replace(_YEAR_AFTER_DIGITS, "${1}/")
    idx = (dropped != stripped).fill_null(False).arg_true()  # few: the runs are counted only there
    if idx.len():
        years = stripped.gather(idx).str.extract_all(r"[0-9]+").list.eval(pl.element().is_in(_YEAR_WORDS)).list.sum()
        ambiguous = idx.filter(years != 1)
        dropped = dropped.scatter(ambiguous, stripped.gather(ambiguous))
    stripped = dropped
    parts = (
        pl.DataFrame({"n": uniques, "s": stripped})
        .with_columns(doc_no_norm_expr(pl.col("s")).alias("stem"))
        .with_columns(
            pl.coalesce(
                pl.col("stem").str.replace(r"^[A-Z]+", "").replace("", None), pl.col("stem"), pl.lit("")
            ).alias("core")
        )
    )
    found = numbers.to_frame("n").join(parts.select("n", part), on="n", how="left", maintain_order="left")
    return found[part].alias(numbers.name)


def core_series(numbers: pl.Series) -> pl.Series:
    """The core of each number: year tokens and an alphabetic prefix dropped, normalised."""
    return _year_free(numbers, "core")


def stem_series(numbers: pl.Series) -> pl.Series:
    """Each number with its year tokens dropped, normalised (``DN/25-26/005`` → ``DN5``)."""
    return _year_free(numbers, "stem")


def with_cores(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the ``core`` of its numbers and of its original (amended) numbers."""
    return frame.with_columns(
        core_series(frame["doc_no"]).alias("core"), core_series(frame["orig_doc_no"]).alias("orig_core")
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
