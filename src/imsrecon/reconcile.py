"""The pure core's entry point: two document sets in, the result contract out."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from imsrecon.config import FilingConfig, MatchConfig
from imsrecon.match.engine import DOCUMENT_COLUMNS, match_documents
from imsrecon.match.pairs import SOURCE_COLUMNS, build_result
from imsrecon.model import keep_rows, unregistered
from imsrecon.recommend import RULES, Rule, recommend
from imsrecon.result import summary_counts


@dataclass
class Reconciliation:
    result: pl.DataFrame
    reverse_charge: pl.DataFrame  # register rows under reverse charge or from unregistered suppliers: kept out
    config: MatchConfig
    ims_count: int
    pr_count: int
    recipients: list[str] = field(default_factory=list)
    filing: FilingConfig = field(default_factory=FilingConfig)

    def summary(self) -> dict[str, object]:
        return {
            "ims_documents": self.ims_count,
            "pr_documents": self.pr_count,
            "reverse_charge_rows": self.reverse_charge.height,
            "recipient_gstins": self.recipients,
            "counts": summary_counts(self.result),
        }


# register rows never in IMS: reverse-charge purchases and purchases from unregistered suppliers
KEPT_OUT = pl.col("reverse_charge").fill_null(False) | unregistered(pl.col("flags"))


def _fill_recipient(docs: pl.DataFrame, recipient: str | None) -> pl.DataFrame:
    if recipient is None:
        return docs
    return docs.with_columns(pl.col("recipient_gstin").fill_null(recipient))


def reconcile(
    ims: pl.DataFrame,
    pr: pl.DataFrame,
    config: MatchConfig | None = None,
    recipient_gstin: str | None = None,
    rules: tuple[Rule, ...] = RULES,
    filing: FilingConfig | None = None,
) -> Reconciliation:
    """Pair IMS (or GSTR-2B) documents with register rows and recommend an action for each.

    A blank recipient GSTIN on either side is taken as ``recipient_gstin`` or, failing that, as
    the other side's only recipient GSTIN. With ``recipient_gstin`` given, documents of other
    recipients are left out. ``filing`` (the ``[filing]`` table) decides how long a credit note
    may be kept pending.
    """
    config = config or MatchConfig()
    filing = filing or FilingConfig()
    ims = _fill_recipient(ims, recipient_gstin)
    pr = _fill_recipient(pr, recipient_gstin)
    if recipient_gstin is None:
        ims_r = ims["recipient_gstin"].drop_nulls().unique()
        pr_r = pr["recipient_gstin"].drop_nulls().unique()
        if ims_r.len() == 1:
            pr = _fill_recipient(pr, ims_r[0])
        if pr_r.len() == 1:
            ims = _fill_recipient(ims, pr_r[0])
    ours = pl.lit(True) if recipient_gstin is None else pl.col("recipient_gstin") == recipient_gstin
    reverse_charge = pr.filter(ours & KEPT_OUT)
    # only the columns matching and the result read, before any filter copies them (a caller that
    # lets go of its own frames frees the rest: the portal's record texts and hashes, voucher
    # columns …)
    used = {*DOCUMENT_COLUMNS, *SOURCE_COLUMNS}
    ims, pr = ims.select(c for c in ims.columns if c in used), pr.select(c for c in pr.columns if c in used)
    ims, pr = keep_rows(ims, ours), keep_rows(pr, ours & ~KEPT_OUT)
    pairs = match_documents(ims, pr, config)
    result = recommend(build_result(ims, pr, pairs), rules, filing=filing, date_window_days=config.date_window_days)
    recipients = sorted(set(ims["recipient_gstin"].drop_nulls()) | set(pr["recipient_gstin"].drop_nulls()))
    return Reconciliation(result, reverse_charge, config, ims.height, pr.height, recipients, filing)
