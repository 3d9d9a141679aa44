"""Apply a column expression to one value: the scalar face of a vectorised normaliser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl


def apply_scalar(expr_fn: Callable[[pl.Expr], pl.Expr], value: Any, dtype: Any = None) -> Any:
    text = None if value is None else str(value)
    frame = pl.DataFrame({"v": [text]}, schema={"v": pl.String})
    out = frame.select(expr_fn(pl.col("v")).alias("out"))["out"]
    if dtype is not None:
        out = out.cast(dtype)
    return out[0]


def per_distinct(col: pl.Expr, fn: Callable[[pl.Expr], pl.Expr], dtype: Any) -> pl.Expr:
    """``fn`` applied once per distinct value of ``col`` (for columns with few distinct values,
    such as GSTINs, periods or status words, this is much cheaper than once per row)."""

    def run(values: pl.Series) -> pl.Series:
        uniques = values.unique()
        lookup = pl.DataFrame({"v": uniques, "c": uniques.to_frame("v").select(fn(pl.col("v")).cast(dtype).alias("c"))["c"]})
        joined = values.to_frame("v").join(lookup, on="v", how="left", nulls_equal=True, maintain_order="left")
        return joined["c"]

    return col.map_batches(run, return_dtype=dtype)
