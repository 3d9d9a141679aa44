"""Document numbers as books garble them: the core of a number, its near neighbours, and how
alike two numbers are.

``doc_no_norm`` (importers) folds case, separators and leading zeros. The *core* also drops
financial-year tokens in every common spelling (``2025-26``, ``25-26``, ``2025/26``,
``2025-2026``, ``FY25-26``, ``20252026``) and a leading alphabetic prefix (``MH/77`` → ``77``).
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
_FY_TOKEN = re.compile(
    r"(?<![0-9])(?:FY\s*)?(?:20)?([0-9]{2})\s*[-/]\s*(?:20)?([0-9]{2})(?![0-9])"
    r"|(?<![0-9])20([0-9]{2})20([0-9]{2})(?![0-9])"
    r"|FY\s*(?:20)?([0-9]{2})(?:20)?([0-9]{2})(?![0-9])"
)
MIN_CORE_FOR_NEIGHBOURS = 2


class NumberLevel(IntEnum):
    """How two document numbers agree, strongest first (higher is stronger)."""

    DIFFERENT = 0
    SIMILAR = 1  # one keystroke apart, or similarity above the threshold
    EQUAL_CORE = 2  # equal once FY tokens and an alphabetic prefix are dropped
    ORIGINAL = 3  # the register holds the amendment's original number
    EQUAL_NORM = 4  # equal after folding case, separators and leading zeros
    EQUAL = 5  # equal as written (case and surrounding spaces aside)

    @property
    def label(self) -> str:
        return self.name.lower()


def _strip_fy(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    first, second = int(groups[0]), int(groups[1])
    return "/" if second == (first + 1) % 100 else match.group(0)


def strip_fy_tokens(number: str) -> str:
    """Drop financial-year tokens whose second year follows the first (2025-26, 24/25 …)."""
    return _FY_TOKEN.sub(_strip_fy, number.upper())


def core_series(numbers: pl.Series) -> pl.Series:
    """The core of each number (computed once per distinct number)."""
    uniques = numbers.drop_nulls().unique()
    # only numbers that may hold a year token go through Python; the rest are only upper-cased
    maybe = uniques.str.contains(r"(?i)[0-9]{2}\s*[-/]\s*[0-9]{2}|20[0-9]{2}20[0-9]{2}|FY")
    stripped = uniques.str.to_uppercase()
    idx = maybe.arg_true()
    if idx.len():
        fixed = pl.Series([strip_fy_tokens(n) for n in uniques.gather(idx).to_list()], dtype=pl.String)
        stripped = stripped.scatter(idx, fixed)
    cores = (
        pl.DataFrame({"n": uniques, "s": stripped})
        .with_columns(doc_no_norm_expr(pl.col("s")).alias("norm"))
        .with_columns(
            pl.coalesce(
                pl.col("norm").str.replace(r"^[A-Z]+", "").replace("", None), pl.col("norm"), pl.lit("")
            ).alias("core")
        )
    )
    found = numbers.to_frame("n").join(cores.select("n", "core"), on="n", how="left", maintain_order="left")
    return found["core"].alias(numbers.name)


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
