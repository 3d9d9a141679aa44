"""The portal's action on each IMS document now, from its download and the uploads since (pure).

Domain doc §5: ``prev_status`` is "the record's action on the portal now: the ``action`` of the
latest download, or the action a later successful upload set". This module is the one place
that decides which:

* an item of an upload whose request status said it was processed (status ``uploaded``) after
  the document's download was imported sets the portal's action to the item's action (the
  latest such item, by the time its status was recorded);
* a download imported after that is the portal's state again: its own ``action`` counts;
* a failed item changes nothing on the portal; an item never uploaded (its status never
  applied) neither;
* an item the portal is still processing (``IP``) leaves the portal's action unknown: the
  document is not sent again (``upload_processing`` names the upload) until a request status
  for it is applied, or a later upload of it is confirmed.

Documents and items are matched by section, supplier GSTIN and document number (case and
surrounding spaces ignored) and, where both have it, the supplier's return period.
"""

from __future__ import annotations

import polars as pl

__all__ = ["ITEM_COLUMNS", "portal_action_now"]

# the upload items :func:`portal_action_now` reads (store.uploads.upload_history gives them)
ITEM_COLUMNS = ("id", "upload_id", "file_name", "section", "supplier_gstin", "doc_no", "rtnprd", "new_action",
                "status", "status_at")  # fmt: skip
UPLOADED, PROCESSING = "uploaded", "processing"
_KEYS = ["_section", "_gstin", "_doc_no"]


def _identity(section: str, gstin: str, doc_no: str) -> list[pl.Expr]:
    def fold(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.String).str.strip_chars().str.to_uppercase()

    return [pl.col(section).cast(pl.String).str.to_lowercase().alias("_section"), fold(gstin).alias("_gstin"),
            fold(doc_no).alias("_doc_no")]  # fmt: skip


def portal_action_now(docs: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """``docs`` (``ims_section``, ``supplier_gstin``, ``doc_no``, ``rtnprd`` and ``imported_at``,
    when their download was imported) with three columns added: ``portal_action`` (the action a
    later successful upload set, else null: the download's own counts), ``portal_action_from``
    (that upload, in words) and ``upload_processing`` (an upload of the document still being
    processed, in words; else null). ``items``: :data:`ITEM_COLUMNS`."""
    added = {"portal_action": pl.String, "portal_action_from": pl.String, "upload_processing": pl.String}
    live = items.filter(pl.col("status").is_in([UPLOADED, PROCESSING]))
    if live.height == 0 or docs.height == 0:
        return docs.with_columns(pl.lit(None, t).alias(c) for c, t in added.items())
    ids = docs.select(pl.int_range(pl.len()).alias("_i"), *_identity("ims_section", "supplier_gstin", "doc_no"),
                      pl.col("rtnprd").alias("_doc_rtnprd"), "imported_at")  # fmt: skip
    live = live.with_columns(*_identity("section", "supplier_gstin", "doc_no"),
                             pl.format("upload {} ({})", "upload_id", "file_name").alias("_upload"))  # fmt: skip
    pairs = ids.join(live, on=_KEYS, how="inner").filter(
        pl.col("_doc_rtnprd").is_null() | pl.col("rtnprd").is_null() | (pl.col("_doc_rtnprd") == pl.col("rtnprd"))
    )
    done = pairs.filter(pl.col("status") == UPLOADED)
    latest_done = done.group_by("_i").agg(pl.col("id").max().alias("_done_id"))
    confirmed = (
        done.filter(pl.col("imported_at").is_null() | (pl.col("status_at") > pl.col("imported_at")))
        .sort("status_at", "id")
        .group_by("_i")
        .agg(pl.col("new_action").last().alias("portal_action"), pl.col("_upload").last().alias("portal_action_from"))
    )
    processing = (
        pairs.filter(pl.col("status") == PROCESSING)
        .join(latest_done, on="_i", how="left")
        .filter(pl.col("_done_id").is_null() | (pl.col("id") > pl.col("_done_id")))  # no later upload confirmed
        .sort("id")
        .group_by("_i")
        .agg(pl.col("_upload").last().alias("upload_processing"))
    )
    out = ids.select("_i").join(confirmed, on="_i", how="left").join(processing, on="_i", how="left")
    out = out.sort("_i").select(pl.col(c).cast(t) for c, t in added.items())
    return pl.concat([docs, out], how="horizontal")
