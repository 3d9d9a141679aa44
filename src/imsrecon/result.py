"""The result contract: one row per IMS document and one per unpaired register row.

Other tools read these columns: names and meanings are stable. New columns may be added at the
end; none is renamed or removed.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

from imsrecon.model import conform_to


class MatchStatus(StrEnum):
    EXACT = "exact"
    PROBABLE = "probable"
    MISMATCH = "mismatch"
    MISSING_IN_PR = "missing_in_pr"
    MISSING_IN_IMS = "missing_in_ims"
    DUPLICATE = "duplicate"
    # a register row booked outside the books' period (reconcile --period) that IMS does not hold:
    # not looked for in this download (imsrecon.books_period)
    OTHER_PERIOD = "other_period"


STATUS_ORDER = [s.value for s in MatchStatus]
# how a status reads for people (CLI tables, Excel sheet names)
STATUS_LABELS: dict[str, str] = {
    MatchStatus.EXACT: "Exact",
    MatchStatus.PROBABLE: "Probable",
    MatchStatus.MISMATCH: "Mismatch",
    MatchStatus.MISSING_IN_PR: "Missing in PR",
    MatchStatus.MISSING_IN_IMS: "Missing in IMS",
    MatchStatus.DUPLICATE: "Duplicate",
    MatchStatus.OTHER_PERIOD: "Other periods",
}

_SIDE_VALUES = {
    "taxable_value": pl.Float64,
    "igst": pl.Float64,
    "cgst": pl.Float64,
    "sgst": pl.Float64,
    "cess": pl.Float64,
    "doc_value": pl.Float64,
}

# The columns the contract promises, in order: every export starts with these.
CONTRACT_COLUMNS = [
    "match_status", "ims_section", "ims_supplier_gstin", "ims_doc_no", "ims_doc_date",
    "pr_file", "pr_row", "pr_supplier_gstin", "pr_doc_no", "pr_doc_date",
    "ims_taxable_value", "ims_igst", "ims_cgst", "ims_sgst", "ims_cess",
    "pr_taxable_value", "pr_igst", "pr_cgst", "pr_sgst", "pr_cess",
    "differences", "score", "recommended_action", "reason", "matching_key",
]  # fmt: skip

_TYPES: dict[str, pl.DataType] = {
    **dict.fromkeys(("pr_row", "ims_row", "pr_line"), pl.Int64),
    **dict.fromkeys(("ims_doc_date", "pr_doc_date"), pl.Date),
    **{f"{side}_{k}": t for side in ("ims", "pr") for k, t in _SIDE_VALUES.items()},
    **dict.fromkeys(("score", "nearest_score", "applicable_pct", "pr_nil_rated_value"), pl.Float64),
    "reverse_charge": pl.Boolean,
}

# Columns after the contract's: provenance, portal state, explanation. Appended to, never reordered.
EXTRA_COLUMNS = [
    "doc_class", "recipient_gstin", "pr_supplier_name", "ims_doc_value", "pr_doc_value",
    "ims_file", "ims_row", "pr_sheet", "pr_line",
    "ims_action", "ims_ispendactblocked", "ims_srcfilstatus", "ims_tax_period", "pr_tax_period", "fy",
    "pr_flags", "reverse_charge",
    "nearest_candidate", "nearest_score", "nearest_ruled_out_by",  # filled by the matching engine
    "recommendation_rule",  # name of the rule that chose recommended_action
    "comparison",  # every field's level for the pair: doc_no=equal_norm doc_date=+2d igst=+180.0(18.0%) …
    "ims_supplier_name",  # the supplier's trade name from GSTR-2B (IMS records carry none)
    "itc_availability", "itc_reason", "applicable_pct", "gstr2b_period",  # GSTR-2B's facts on the document
    "pr_nil_rated_value",  # nil-rated lines of the register row kept out of its taxable value
    "ims_side",  # where the IMS-side document comes from: ims (GSTR-2B facts merged in), gstr2b, gstr2a
]  # fmt: skip

RESULT_SCHEMA: dict[str, pl.DataType] = {
    c: _TYPES.get(c, pl.String) for c in CONTRACT_COLUMNS + EXTRA_COLUMNS
}

RESULT_COLUMNS = list(RESULT_SCHEMA)

assert set(CONTRACT_COLUMNS) <= set(RESULT_SCHEMA)


def empty_result() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULT_SCHEMA)


def conform_result(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with exactly the result schema."""
    return conform_to(df, RESULT_SCHEMA, "result")


def summary_counts(result: pl.DataFrame) -> dict[str, int]:
    counts = dict(result.group_by("match_status").len().iter_rows())
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}
