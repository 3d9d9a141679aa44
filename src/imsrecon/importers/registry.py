"""Pick the importer for a file: by side when the user said which side, by content otherwise."""

from __future__ import annotations

from pathlib import Path

from imsrecon.importers.base import Importer, ImportOptions, ImportResult, open_regular
from imsrecon.importers.gstr2a_json import Gstr2aJsonImporter
from imsrecon.importers.gstr2b_excel import Gstr2bExcelImporter
from imsrecon.importers.gstr2b_json import Gstr2bJsonImporter
from imsrecon.importers.ims_excel import ImsExcelImporter
from imsrecon.importers.ims_json import ImsJsonImporter
from imsrecon.importers.register import RegisterImporter
from imsrecon.issues import InputFileError
from imsrecon.model import Side

# Most specific first: a register is whatever tabular file is not a portal workbook (GSTR-2B, IMS).
IMPORTERS: tuple[Importer, ...] = (
    Gstr2bJsonImporter(),
    Gstr2aJsonImporter(),
    ImsJsonImporter(),
    Gstr2bExcelImporter(),
    ImsExcelImporter(),
    RegisterImporter(),
)
_HEAD_BYTES = 64 * 1024
# Which sides a user's flag accepts: --ims takes IMS downloads and GSTR-2B (2B ↔ books uses the
# same engine); --pr takes purchase registers.
SIDE_GROUPS = {"ims": (Side.IMS, Side.GSTR2B, Side.GSTR2A), "pr": (Side.PR,)}


def detect(path: Path, side: str | None = None) -> Importer:
    with open_regular(path) as f:  # a FIFO or a device is refused before it is read
        head = f.read(_HEAD_BYTES)
    found = next((imp for imp in IMPORTERS if imp.identify(path, head)), None)
    if found is None:
        raise InputFileError(
            path.name,
            "unknown kind of file: expected IMS, GSTR-2B or GSTR-2A JSON, the IMS offline-tool Excel, the "
            "GSTR-2B Excel download, or a purchase register (.csv, .xlsx, .xls)",
        )
    if side is not None and found.side not in SIDE_GROUPS[side]:
        wanted = "an IMS, GSTR-2B or GSTR-2A download" if side == "ims" else "a purchase register"
        raise InputFileError(path.name, f"looks like {_describe(found)}, not {wanted}")
    return found


def _describe(importer: Importer) -> str:
    return {Side.IMS: "an IMS download", Side.GSTR2B: "a GSTR-2B download", Side.GSTR2A: "a GSTR-2A download",
            Side.PR: "a purchase register"}[
        importer.side
    ]


def read_file(path: Path, options: ImportOptions, side: str | None = None) -> ImportResult:
    return detect(path, side).read(path, options)
