"""The result contract: one row per IMS document and one per unpaired register row.

Other tools read these columns: names and meanings are stable. New columns may be added at the
end; none is renamed or removed.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl


class MatchStatus(StrEnum):
    EXACT = "exact"
    PROBABLE = "probable"
    MISMATCH = "mismatch"
    MISSING_IN_PR = "missing_in_pr"
    MISSING_IN_IMS = "missing_in_ims"
    DUPLICATE = "duplicate"


STATUS_ORDER = [s.value for s in MatchStatus]

_SIDE_VALUES = {
    "taxable_value": pl.Float64,
    "igst": pl.Float64,
    "cgst": pl.Float64,
    "sgst": pl.Float64,
    "cess": pl.Float64,
    "doc_value": pl.Float64,
}

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "match_status": pl.String,
    "ims_section": pl.String,
    "doc_class": pl.String,
    "recipient_gstin": pl.String,
    "ims_supplier_gstin": pl.String,
    "ims_doc_no": pl.String,
    "ims_doc_date": pl.Date,
    "pr_file": pl.String,
    "pr_row": pl.Int64,
    "pr_supplier_gstin": pl.String,
    "pr_supplier_name": pl.String,
    "pr_doc_no": pl.String,
    "pr_doc_date": pl.Date,
    **{f"ims_{k}": t for k, t in _SIDE_VALUES.items()},
    **{f"pr_{k}": t for k, t in _SIDE_VALUES.items()},
    "differences": pl.String,  # semicolon-separated field names, e.g. "doc_date;igst"
    "score": pl.Float64,  # 0..1
    "recommended_action": pl.String,  # Accept / Reject / Pending / No action / "" (nothing to do on the portal)
    "reason": pl.String,
    "matching_key": pl.String,
    # provenance and portal state
    "ims_file": pl.String,
    "ims_row": pl.Int64,
    "pr_sheet": pl.String,
    "pr_line": pl.Int64,
    "ims_action": pl.String,
    "ims_ispendactblocked": pl.String,
    "ims_srcfilstatus": pl.String,
    "ims_tax_period": pl.String,
    "pr_tax_period": pl.String,
    "fy": pl.String,
    "pr_flags": pl.String,
    "reverse_charge": pl.Boolean,
    # explanation for unpaired documents (filled by the matching engine)
    "nearest_candidate": pl.String,
    "nearest_score": pl.Float64,
    "nearest_ruled_out_by": pl.String,
    "recommendation_rule": pl.String,  # name of the rule that chose recommended_action
}

RESULT_COLUMNS = list(RESULT_SCHEMA)

# The columns the contract promises, in order: every export carries at least these.
CONTRACT_COLUMNS = [
    "match_status", "ims_section", "ims_supplier_gstin", "ims_doc_no", "ims_doc_date",
    "pr_file", "pr_row", "pr_supplier_gstin", "pr_doc_no", "pr_doc_date",
    "ims_taxable_value", "ims_igst", "ims_cgst", "ims_sgst", "ims_cess",
    "pr_taxable_value", "pr_igst", "pr_cgst", "pr_sgst", "pr_cess",
    "differences", "score", "recommended_action", "reason", "matching_key",
]  # fmt: skip

assert set(CONTRACT_COLUMNS) <= set(RESULT_SCHEMA)


def empty_result() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULT_SCHEMA)


def conform_result(df: pl.DataFrame) -> pl.DataFrame:
    unknown = set(df.columns) - RESULT_SCHEMA.keys()
    if unknown:
        raise ValueError(f"columns not in the result schema: {sorted(unknown)}")
    if df.width == 0:  # a literal on a frame without columns would make one row
        return empty_result()
    return df.select(
        [
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in RESULT_SCHEMA.items()
        ]
    )


def summary_counts(result: pl.DataFrame) -> dict[str, int]:
    counts = dict(result.group_by("match_status").len().iter_rows())
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}
