"""Reading decisions back from a report workbook (the Excel round trip's edge).

Every category sheet of a report written by ``imsrecon report --out FILE.xlsx`` carries the
columns ``decision`` and ``remarks`` and, since the ITC-reduction declaration, ``itc_reduction``
(Full / Partial / None) and ``reduce_igst``, ``reduce_cgst``, ``reduce_sgst``, ``reduce_cess``.
Columns are found by their header names (any case; a space reads as ``_``). A workbook written
before the declaration columns has none of them: its rows declare nothing (not given), so a
stored declaration stays as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from imsrecon.decisions import Proposal
from imsrecon.issues import InputFileError

__all__ = ["AMOUNT_HEADERS", "ITC_REDUCTION_HEADER", "read_decisions_xlsx"]

ITC_REDUCTION_HEADER = "itc_reduction"
AMOUNT_HEADERS = ("reduce_igst", "reduce_cgst", "reduce_sgst", "reduce_cess")  # the declared heads
_HEADER_ROWS = 10  # the header is looked for in the first rows of a sheet


def _category_sheet(name: str) -> bool:
    from imsrecon.exporters.excel import SHEET_NAMES

    bases = "|".join(re.escape(n) for n in SHEET_NAMES.values())
    return re.fullmatch(rf"(?:{bases})(?: \(\d+\))?", name) is not None


def _value(row: list[Any], col: int | None) -> Any:
    """A cell as read: text with the report's formula neutralisation undone and stripped."""
    from imsrecon.exporters.sanitize import unneutralise

    value = row[col] if col is not None and col < len(row) else None
    return unneutralise(value).strip() if isinstance(value, str) else value


def _cell(row: list[Any], col: int | None) -> str:
    """A cell as text."""
    from imsrecon.importers.tabular import cell_text

    value = _value(row, col)
    return value if isinstance(value, str) else cell_text(value) or ""


def _amount(row: list[Any], col: int | None) -> Any:
    """A declared amount as written (a number, or text to be checked); None when blank."""
    value = _value(row, col)
    return None if value is None or value == "" else value


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:_HEADER_ROWS]):
        names = {"_".join(c.split()).lower(): j for j, c in enumerate(row) if isinstance(c, str) and c.strip()}
        if "matching_key" in names and "decision" in names:
            return i, names
    return None


def read_decisions_xlsx(path: Path) -> tuple[list[Proposal], int]:
    """The decisions in a report workbook: every category sheet's rows with a decision (columns
    matching_key, decision, remarks and the declaration's found by name in the header row), each
    with its sheet and the row number Excel shows; and how many rows had a key but no decision."""
    from imsrecon.importers.tabular import open_workbook

    path = Path(path)
    wb = open_workbook(path)  # checked against the workbook limits first, like every import
    sheets = [n for n in wb.sheet_names if _category_sheet(n)]
    if not sheets:
        raise InputFileError(path.name, "no category sheet (Exact, Probable, Mismatch, …): "
                             "not a report written by `imsrecon report --out FILE.xlsx`")  # fmt: skip
    proposals: list[Proposal] = []
    blank = 0
    for name in sheets:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputFileError(path.name, f"sheet '{name}' cannot be read: {exc}") from None
        found = _header(rows)
        if found is None:
            raise InputFileError(path.name, f"sheet '{name}' has no header row with 'matching_key' and "
                                 "'decision' columns: write the report again with `imsrecon report`")  # fmt: skip
        at, cols = found
        itc_col = cols.get(ITC_REDUCTION_HEADER)
        amount_cols = [cols.get(h) for h in AMOUNT_HEADERS]
        declares = itc_col is not None or any(c is not None for c in amount_cols)
        for i in range(at + 1, len(rows)):
            key, decision = _cell(rows[i], cols["matching_key"]), _cell(rows[i], cols["decision"])
            if not decision:
                blank += bool(key)
                continue
            remarks = _cell(rows[i], cols.get("remarks"))  # blank: no remarks
            itc = _cell(rows[i], itc_col) if declares else None  # blank: none declared; no column: not given
            amounts = tuple(_amount(rows[i], c) for c in amount_cols)
            note = f"{path.name} [{name}] row {i + 1}"
            proposals.append(Proposal(key, decision, remarks, sheet=name, row=i + 1, note=note,
                                      itc_reduction=itc, amounts=amounts))  # type: ignore[arg-type]
    return proposals, blank
