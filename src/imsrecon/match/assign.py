"""One-to-one assignment that maximises the total score (never greedy first-fit).

Pairs whose two documents have no other accepted candidate are taken as they are; the rest are
solved together as a minimum-cost full matching on a sparse bipartite graph where every
document may also stay unpaired (a dummy partner), which is the same as maximising the summed
score of the chosen pairs. Blocks never share an edge, so one solve covers them all.

A document with a *sure* candidate (the same number) costs more to leave unpaired, where it is
that candidate's only sure one: a similar number whose values agree may take its place only when
the chain of such pairs finds it another partner (two numbers one keystroke apart, each booked
under the other's), never by leaving the register row of the very number unpaired. Of two rows
of the very number one stays unpaired whatever is done, and is not pushed onto another document.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

_EPSILON = 1e-6
_UNPAIRED, _UNPAIRED_SURE = 1.0, 2.0  # leaving a document unpaired costs as much as a pair of score 1 (0)


def assign(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` has i, j, score (accepted candidates only) and optionally ``sure`` (the pair's
    number is the same); returns the chosen (i, j) rows."""
    if pairs.height == 0:
        return pairs
    pairs = pairs.sort("i", "j")  # the same input order every time: ties resolve the same way
    counted = pairs.with_columns(
        pl.len().over("i").alias("_ni"), pl.len().over("j").alias("_nj")
    )
    lone = counted.filter((pl.col("_ni") == 1) & (pl.col("_nj") == 1)).drop("_ni", "_nj")
    contested = counted.filter((pl.col("_ni") > 1) | (pl.col("_nj") > 1)).drop("_ni", "_nj")
    if contested.height == 0:
        return lone
    chosen = _solve(contested)
    return pl.concat([lone, contested.join(chosen, on=["i", "j"], how="semi")])


def _solve(pairs: pl.DataFrame) -> pl.DataFrame:
    rows = pairs["i"].unique().sort()
    cols = pairs["j"].unique().sort()
    n, m = rows.len(), cols.len()
    ri = pairs["i"].to_frame().join(rows.to_frame().with_row_index("r"), on="i", how="left")["r"].to_numpy()
    cj = pairs["j"].to_frame().join(cols.to_frame().with_row_index("c"), on="j", how="left")["c"].to_numpy()
    score = pairs["score"].to_numpy().astype(np.float64)
    sure = pairs["sure"].to_numpy() if "sure" in pairs.columns else np.zeros(len(score), dtype=bool)
    # a document is held to its sure partner only where it is that partner's one sure candidate:
    # of two register rows of the very number (a document booked in parts, or twice), one stays
    # over whatever is done, and it must not be pushed onto another document to avoid that
    sure_of_i = np.bincount(ri[sure], minlength=n)
    sure_of_j = np.bincount(cj[sure], minlength=m)
    has_sure_i, has_sure_j = np.zeros(n, dtype=bool), np.zeros(m, dtype=bool)
    has_sure_i[ri[sure & (sure_of_j[cj] == 1)]] = True
    has_sure_j[cj[sure & (sure_of_i[ri] == 1)]] = True
    # rows: real i (n) then dummy e_j (m); columns: real j (m) then dummy d_i (n)
    r_idx = np.concatenate([ri, np.arange(n), n + np.arange(m), n + cj])
    c_idx = np.concatenate([cj, m + np.arange(n), np.arange(m), m + ri])
    cost = np.concatenate([
        2.0 - score,  # a real pair
        np.where(has_sure_i, _UNPAIRED_SURE, _UNPAIRED),  # i stays unpaired
        np.where(has_sure_j, _UNPAIRED_SURE, _UNPAIRED),  # j stays unpaired
        np.full(len(score), _EPSILON),  # the two dummies of a real pair meet
    ])
    graph = coo_matrix((cost, (r_idx, c_idx)), shape=(n + m, m + n)).tocsr()
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    real = (row_ind < n) & (col_ind < m)
    return pl.DataFrame({
        "i": rows.gather(row_ind[real]).cast(pl.UInt32),
        "j": cols.gather(col_ind[real]).cast(pl.UInt32),
    })
