"""Golden-file checks: compare a result with tests/golden/NAME.json.

Run with IMSRECON_UPDATE_GOLDEN=1 to (re)write a golden file; review the diff before committing.
A missing golden file fails the test (it is never created silently).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import polars as pl

GOLDEN_DIR = Path(__file__).parent / "golden"


def _jsonable(value: Any) -> Any:
    if isinstance(value, pl.DataFrame):
        return [_jsonable(r) for r in value.to_dicts()]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def assert_golden(name: str, value: Any) -> None:
    path = GOLDEN_DIR / f"{name}.json"
    actual = _jsonable(value)
    if os.environ.get("IMSRECON_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        return
    assert path.exists(), f"golden file {path} is missing: run with IMSRECON_UPDATE_GOLDEN=1"
    expected = json.loads(path.read_text())
    assert actual == expected, f"result differs from golden file {path.name}"
