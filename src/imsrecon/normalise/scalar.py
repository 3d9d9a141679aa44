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
