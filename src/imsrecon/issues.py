"""Row-level problems as values: every input row becomes a document or an issue naming it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

import polars as pl


class Severity(StrEnum):
    ERROR = "error"  # the row was not imported
    WARNING = "warning"  # imported, but look at it
    INFO = "info"  # e.g. a total row that was skipped on purpose


@dataclass(frozen=True, slots=True)
class RowIssue:
    severity: Severity
    file: str
    row: int | None  # 1-based data row / record number (same numbering as src_row)
    column: str | None
    value: str | None
    reason: str
    sheet: str | None = None
    line: int | None = None  # physical row as a spreadsheet shows it, where there is one
    code: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" [{self.sheet}]"
        if self.line is not None:
            where += f" row {self.line}"
            if self.row is not None and self.row != self.line:
                where += f" (data row {self.row})"
        elif self.row is not None:
            where += f" record {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{self.severity.value}: {where}:{value} {self.reason}"

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "severity": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "sheet": pl.String,
    "line": pl.Int64,
    "code": pl.String,
}


def issues_frame(issues: list[RowIssue]) -> pl.DataFrame:
    return pl.DataFrame([i.as_dict() for i in issues], schema=ISSUE_SCHEMA)


class InputFileError(Exception):
    """A whole file cannot be read (unknown kind, unreadable, no header row, too large).

    Raised at the I/O edge and reported to the user with the file name; never leaves a partial
    import behind.
    """

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason
