"""Use case: what changed in IMS since the previous download of the same recipient GSTIN."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from imsrecon.snapshots import SnapshotDiff, diff_snapshots, needs_review
from imsrecon.store.workspace import Workspace


@dataclass
class Changes:
    import_id: int
    previous_import_id: int
    previous_file: str
    diff: SnapshotDiff
    review: pl.DataFrame  # changed or removed documents that carry a decision
    removed: pl.DataFrame  # documents gone from IMS, with their last status and the decision that applied

    def summary(self) -> dict[str, object]:
        return {
            "import_id": self.import_id,
            "previous_import_id": self.previous_import_id,
            "previous_file": self.previous_file,
            **self.diff.summary(),
            "decisions_to_review": self.review.height,
        }


def changes_since_previous(ws: Workspace, import_id: int | None = None) -> Changes | None:
    """The IMS import ``import_id`` (the latest IMS import if None) against the latest earlier
    IMS import of the same recipient GSTIN; None when there is no earlier one."""
    imports = ws.imports().filter(pl.col("side") == "ims").sort("id")
    if import_id is None:
        if imports.height == 0:
            return None
        import_id = int(imports["id"][-1])
    me = imports.filter(pl.col("id") == import_id)
    if me.height == 0:
        return None
    recipient = me["recipient_gstin"][0]
    earlier = imports.filter((pl.col("id") < import_id) & pl.col("recipient_gstin").eq_missing(recipient))
    if earlier.height == 0:
        return None
    previous = earlier.row(-1, named=True)
    diff = diff_snapshots(
        ws.load_documents([int(previous["id"])]).drop("document_id"), ws.load_documents([import_id]).drop("document_id")
    )
    decisions = ws.latest_decisions()
    decided = set(decisions["matching_key"].to_list())
    removed = diff.removed.select(
        "identity_key", "ims_section", "supplier_gstin", "doc_no", "doc_date", "taxable_value", "igst", "cgst",
        "sgst", "cess", pl.col("action").alias("last_portal_action"),
    ).join(
        decisions.select(
            pl.col("matching_key").alias("identity_key"), pl.col("action").alias("decision"),
            pl.col("remarks").alias("decision_remarks"), "decided_by",
            pl.col("decided_at").dt.strftime("%Y-%m-%d %H:%M:%S UTC").alias("decided_at"),
        ),
        on="identity_key", how="left",
    )
    return Changes(import_id, int(previous["id"]), str(previous["file_name"]), diff,
                   needs_review(diff, decided), removed)
