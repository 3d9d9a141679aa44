"""The pure core's entry point: two document sets in, the result contract out."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from imsrecon.config import FilingConfig, MatchConfig
from imsrecon.gstr2b_facts import MERGE_COLUMNS, merge_statement_facts
from imsrecon.match.engine import DOCUMENT_COLUMNS, match_documents
from imsrecon.match.pairs import SOURCE_COLUMNS, build_result
from imsrecon.model import keep_rows, unregistered
from imsrecon.recommend import RULES, Rule, recommend
from imsrecon.result import MatchStatus, summary_counts


@dataclass
class Reconciliation:
    result: pl.DataFrame
    reverse_charge: pl.DataFrame  # register rows under reverse charge or from unregistered suppliers: kept out
    config: MatchConfig
    ims_count: int
    pr_count: int
    recipients: list[str] = field(default_factory=list)
    statement_records_merged: int = 0  # GSTR-2B/2A records that lent their facts to another source's row
    filing: FilingConfig = field(default_factory=FilingConfig)

    def summary(self) -> dict[str, object]:
        return {
            "ims_documents": self.ims_count,
            "pr_documents": self.pr_count,
            "reverse_charge_rows": self.reverse_charge.height,
            "recipient_gstins": self.recipients,
            "statement_records_merged": self.statement_records_merged,
            "counts": summary_counts(self.result),
        }


# register rows never in IMS: reverse-charge purchases and purchases from unregistered suppliers
KEPT_OUT = pl.col("reverse_charge").fill_null(False) | unregistered(pl.col("flags"))
# of those, the rows a GSTR-2B reverse-charge document may pair with: a registered supplier's
REVERSE_CHARGE_PAIRABLE = (
    pl.col("reverse_charge").fill_null(False) & ~unregistered(pl.col("flags")) & pl.col("supplier_gstin").is_not_null()
)


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
    """Pair IMS (or GSTR-2B, GSTR-2A) documents with register rows and recommend an action for each.

    A blank recipient GSTIN on either side is taken as ``recipient_gstin`` or, failing that, as
    the other side's only recipient GSTIN. With ``recipient_gstin`` given, documents of other
    recipients are left out. A GSTR-2B/2A record of a document the IMS download also holds adds
    its facts to that document's row (:mod:`imsrecon.gstr2b_facts`). Reverse-charge documents of
    GSTR-2B pair only with the register's reverse-charge rows; those rows left unpaired stay kept
    out of matching, like every reverse-charge row when no such document was given. ``filing``
    (the ``[filing]`` table) decides how long a credit note may be kept pending.
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
    kept_out = pr.select((ours & KEPT_OUT).fill_null(False)).to_series()
    reverse_charge = pr.filter(kept_out)
    # only the columns matching and the result read, before any filter copies them (a caller that
    # lets go of its own frames frees the rest: the portal's record texts and hashes, voucher
    # columns …)
    used = {*DOCUMENT_COLUMNS, *SOURCE_COLUMNS, *MERGE_COLUMNS}
    ims, pr = ims.select(c for c in ims.columns if c in used), pr.select(c for c in pr.columns if c in used)
    ims, merged = merge_statement_facts(keep_rows(ims, ours))
    rcm_docs = ims["reverse_charge"].fill_null(False)
    if rcm_docs.any():
        pr, pairs, paired_out = _pair_reverse_charge(ims, rcm_docs, pr, ours, config)
        reverse_charge = reverse_charge.filter(~kept_out.arg_true().is_in(paired_out.implode()))
        pr_count = pr.height - int(pr["reverse_charge"].fill_null(False).sum()) + paired_out.len()
    else:
        pr = keep_rows(pr, ours & ~KEPT_OUT)
        pairs = match_documents(ims, pr, config)
        pr_count = pr.height
    result = recommend(build_result(ims, pr, pairs), rules, filing=filing, date_window_days=config.date_window_days)
    recipients = sorted(set(ims["recipient_gstin"].drop_nulls()) | set(pr["recipient_gstin"].drop_nulls()))
    return Reconciliation(result, reverse_charge, config, ims.height, pr_count, recipients, merged, filing)


def _pair_reverse_charge(
    ims: pl.DataFrame, rcm_docs: pl.Series, pr: pl.DataFrame, ours: pl.Expr, config: MatchConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """(the register rows matched, the pairs, the positions in ``pr`` of the kept-out rows that
    were paired). Documents not under reverse charge are matched with the rows not kept out, as
    always; reverse-charge documents (GSTR-2B's; IMS holds none) with the register's reverse-charge
    rows of registered suppliers, in a match of their own: a reverse-charge booking is never the
    partner of a document the supplier reported as a regular supply, nor the reverse. Pairs keep
    file order: indices point into ``ims`` and into the returned rows."""
    normal = pr.select((ours & ~KEPT_OUT).fill_null(False)).to_series()
    pairable = pr.select((ours & REVERSE_CHARGE_PAIRABLE).fill_null(False)).to_series()
    at = (normal | pairable).arg_true()  # the rows matched, as positions in pr
    rows = pr.filter(normal | pairable)
    rcm_rows = pairable.gather(at)
    frames = []
    for ims_mask, pr_mask in ((~rcm_docs, ~rcm_rows), (rcm_docs, rcm_rows)):
        ims_at, pr_at = ims_mask.arg_true(), pr_mask.arg_true()
        found = match_documents(ims.filter(ims_mask), rows.filter(pr_mask), config)
        frames.append(found.with_columns(
            ims_at.gather(found["ims_idx"]).cast(pl.UInt32).alias("ims_idx"),
            pr_at.gather(found["pr_idx"]).cast(pl.UInt32).alias("pr_idx"),
        ))
    # a reverse-charge row no document took stays kept out (an unregistered supplier's, an import of
    # services …), not "missing in IMS"
    unpaired = (pl.col("match_status") == MatchStatus.MISSING_IN_IMS.value) & pl.col("ims_idx").is_null()
    frames[1] = frames[1].filter(~unpaired)
    paired_out = at.gather(frames[1]["pr_idx"].drop_nulls().unique())
    return rows, pl.concat(frames), paired_out
