"""Use case: the portal's SAVE/RESET files from a stored run, its decisions and, if asked, its
recommendations.

What is sent for each document (domain doc §4–§5):

* the action: the latest decision, else (with ``with_recommendations``) the recommendation;
* ``prev_status``: the portal's action now (:func:`imsrecon.upload_state.portal_action_now`: the
  download's, or the action a later successful upload set); a document already at that action is
  not sent; one the portal is still processing an upload of is refused until its status is known;
* the ITC-reduction declaration: the decision's (full: ``itcRedReq`` Y; partial: Y with the
  declared heads; none: N). An undecided credit note accepted on the recommendation's word carries
  the recommendation's full declaration (as ``imsrecon decide --all-recommended`` records it);
  nothing else is declared by the exporter: an accepted credit note without a declaration is
  refused (``itc_red_req_missing``), saying how to decide one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from imsrecon.decisions import DECL_COLUMNS, with_full_declarations
from imsrecon.exporters.upload import UploadPlan, plan_upload, write_upload
from imsrecon.exporters.upload_rules import HEADS
from imsrecon.issues import InputFileError
from imsrecon.model import DOCUMENT_SCHEMA
from imsrecon.sections import ACTION_CODES
from imsrecon.store.uploads import upload_history
from imsrecon.store.workspace import Workspace
from imsrecon.upload_state import portal_action_now
from imsrecon.workflow import stored_run


@dataclass
class UploadOutcome:
    run_id: int
    plan: UploadPlan
    files: list[Path]
    from_decisions: int
    from_recommendations: int
    reductions_declared: int = 0  # accepted documents sent with a decided ITC-reduction declaration
    reductions_recommended: int = 0  # undecided credit notes accepted with the recommendation's full one

    def summary(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "save_records": sum(len(v) for v in self.plan.save_records.values()),
            "reset_records": sum(len(v) for v in self.plan.reset_records.values()),
            "unchanged": self.plan.skipped.height,
            "refused": len(self.plan.problems),
            "from_decisions": self.from_decisions,
            "from_recommendations": self.from_recommendations,
            "reductions_declared": self.reductions_declared,
            "reductions_recommended": self.reductions_recommended,
            "files": [str(f) for f in self.files],
        }


def _code(word: pl.Expr) -> pl.Expr:
    return word.str.strip_chars().str.to_lowercase().replace_strict(ACTION_CODES, default=None, return_dtype=pl.String)


def _documents(ws: Workspace, ims_ids: list[int]) -> pl.DataFrame:
    """The run's IMS documents, each with ``imported_at`` (when its download was imported)."""
    when = dict(ws.imports().select("id", "imported_at").iter_rows())
    frames = [ws.load_documents([i]).drop("document_id").with_columns(
        pl.lit(when.get(i), pl.Datetime("us", "UTC")).alias("imported_at")) for i in ims_ids]  # fmt: skip
    if not frames:
        return pl.DataFrame(schema={**DOCUMENT_SCHEMA, "imported_at": pl.Datetime("us", "UTC")})
    return pl.concat(frames)


def _declared(keyed: pl.DataFrame) -> pl.DataFrame:
    """The declaration to send: the decision's (``_itc``, ``_decl_*``), else the recommendation's
    full one (``_declare_full`` on an undecided row, where none was downloaded). A full or no
    reduction over a downloaded partial one sends each downloaded head as the tax (full) or 0."""
    decided = pl.col("_itc").is_not_null()
    recommended = (pl.col("_decided").is_null() & pl.col("_declare_full")
                   & (pl.col("itc_red_req").fill_null("").str.strip_chars() == ""))  # fmt: skip
    itc = pl.when(decided).then("_itc").when(recommended).then(pl.lit("Y")).otherwise("itc_red_req")
    heads = []
    for col, (tax, _) in HEADS.items():
        over = pl.when(pl.col(col).is_not_null()).then(pl.when(itc == "Y").then(pl.col(tax)).otherwise(pl.lit(0.0)))
        heads.append(pl.when(decided | recommended).then(pl.coalesce(f"_{col}", over)).otherwise(col).alias(col))
    return keyed.with_columns(itc.alias("itc_red_req"), *heads, recommended.alias("_recommended_full"))


def export_upload(
    ws: Workspace, out_dir: Path, run_id: int | None = None, with_recommendations: bool = False,
    actor: str = "cli", max_bytes: int = 4_000_000, *, gstin: str | None = None,
) -> UploadOutcome | None:
    """Write SAVE/RESET files (and precheck.csv) for every IMS document of the run whose decided
    (or, with ``with_recommendations``, recommended) action differs from its action on the portal
    now. None when the workspace has no run."""
    run = stored_run(ws, run_id, gstin)
    if run is None:
        return None
    run_id = int(run["id"])  # type: ignore[arg-type]
    result = ws.load_result(run_id).filter(pl.col("ims_doc_no").is_not_null())
    decisions = ws.latest_decisions().select(
        "matching_key", _code(pl.col("action")).alias("_decided"), pl.col("remarks").alias("_remarks"),
        pl.col("itc_red_req").alias("_itc"), *(pl.col(c).alias(f"_{c}") for c in DECL_COLUMNS),
    )
    wanted = result.join(decisions, on="matching_key", how="left").with_columns(
        _code(pl.col("recommended_action").fill_null("")).alias("_recommended")
    )
    action = pl.col("_decided")
    if with_recommendations:
        action = pl.coalesce(action, pl.col("_recommended"))
    wanted = wanted.with_columns(action.alias("new_action")).filter(pl.col("new_action").is_not_null())
    docs = _documents(ws, json.loads(run["ims_import_ids"]))
    docs = portal_action_now(docs, upload_history(ws))
    keyed = docs.join(
        wanted.select(
            pl.col("ims_file").alias("src_file"), "ims_section", pl.col("ims_row").alias("src_row"),
            "new_action", pl.col("_remarks").alias("_new_remarks"), "_decided", "match_status", "matching_key",
            "_itc", *(f"_{c}" for c in DECL_COLUMNS),
        ),
        on=["src_file", "ims_section", "src_row"], how="inner",
    )
    keyed = keyed.with_columns(pl.coalesce("_new_remarks", "remarks").alias("remarks")).drop("_new_remarks")
    keyed = _declared(with_full_declarations(keyed.with_columns(
        pl.when(pl.col("new_action") == "A").then(pl.lit("Accept")).alias("_accept")), "_accept"))
    helpers = ["_decided", "match_status", "_declare_full", "_accept", "_itc", *(f"_{c}" for c in DECL_COLUMNS),
               "_recommended_full", "imported_at"]  # fmt: skip
    plan = plan_upload(keyed.drop(helpers), _recipient(run, result))
    files = write_upload(plan, out_dir, max_bytes)
    _record_uploads(ws, run_id, files)
    decided = int(keyed["_decided"].is_not_null().sum())
    accepted = pl.col("new_action") == "A"
    counts = keyed.select((accepted & pl.col("_itc").is_not_null()).sum().alias("decided"),
                          (accepted & pl.col("_recommended_full")).sum().alias("recommended"))
    outcome = UploadOutcome(run_id, plan, files, decided, keyed.height - decided, *map(int, counts.row(0)))
    ws.audit(actor, "export_upload", "run", str(run_id), None, outcome.summary(), None)
    return outcome


def _record_uploads(ws: Workspace, run_id: int, files: list[Path]) -> None:
    """Keep each written SAVE/RESET file as an upload, its items read back from the file itself."""
    from imsrecon.sections import section_for_key
    from imsrecon.store.uploads import record_upload

    for path in files:
        request = path.name.split("-", 1)[0]
        if request not in ("SAVE", "RESET"):
            continue
        invdata = json.loads(path.read_text(encoding="utf-8"))["data"]["invdata"]
        items = []
        for key, records in invdata.items():
            section = section_for_key(key)
            number = section.number_field if section else "inum"
            items += [{"section": key, "supplier_gstin": r.get("stin"), "doc_no": r.get(number),
                       "rtnprd": r.get("rtnprd"), "new_action": r.get("action", "N"),
                       "prev_status": r.get("prev_status")} for r in records]  # fmt: skip
        record_upload(ws, run_id, request, path.name, items)


def _recipient(run: dict[str, object], result: pl.DataFrame) -> str:
    config = json.loads(str(run.get("config_json") or "{}"))
    recipient = config.get("recipient_gstin")
    if recipient:
        return str(recipient)
    found = result["recipient_gstin"].drop_nulls().unique()
    if found.len() != 1:
        raise InputFileError("run", "the run does not name one recipient GSTIN: reconcile again with --gstin")
    return str(found[0])
