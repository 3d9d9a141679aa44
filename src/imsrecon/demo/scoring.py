"""Score a reconciliation against the generator's ground truth: pair precision, pair recall,
category accuracy, and the rows that went wrong (for regression tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

_IMS_KEY = ["ims_section", "ims_supplier_gstin", "ims_doc_no"]


@dataclass
class Accuracy:
    pair_precision: float
    pair_recall: float
    category_accuracy: float
    differences_accuracy: float  # of true mismatches: the same set of differences named
    predicted_pairs: int
    true_pairs: int
    rows: int
    wrong: pl.DataFrame  # truth rows whose status or partner is wrong, with what was found

    def as_dict(self) -> dict[str, float | int]:
        return {k: v for k, v in self.__dict__.items() if k != "wrong"} | {"wrong_rows": self.wrong.height}


def score(truth: pl.DataFrame, result: pl.DataFrame, reverse_charge_rows: list[int]) -> Accuracy:
    """``truth`` as written by the generator; ``result`` the reconciliation (contract columns);
    ``reverse_charge_rows`` the register rows that were kept out of matching."""
    res = result.select(
        *_IMS_KEY, pl.col("pr_row").cast(pl.Int64).alias("found_pr_row"), pl.col("match_status").alias("found"),
        pl.col("differences").fill_null("").alias("found_differences"),
    )
    truth = truth.with_columns(pl.col("pr_row").cast(pl.Int64), pl.col("expected_differences").fill_null(""))
    ims_truth = truth.filter(pl.col("ims_doc_no").is_not_null())
    pr_truth = truth.filter(pl.col("ims_doc_no").is_null())
    ims_side = ims_truth.join(res.filter(pl.col("ims_doc_no").is_not_null()), on=_IMS_KEY, how="left")
    pr_only = res.filter(pl.col("ims_doc_no").is_null()).drop(_IMS_KEY)
    pr_side = pr_truth.join(pr_only, left_on="pr_row", right_on="found_pr_row", how="left").with_columns(
        pl.col("pr_row").alias("found_pr_row")
    )
    rcm = pl.col("pr_row").is_in(reverse_charge_rows)
    pr_side = pr_side.with_columns(
        pl.when((pl.col("expected_status") == "reverse_charge") & rcm).then(pl.lit("reverse_charge"))
        .otherwise(pl.col("found")).alias("found")
    )
    rows = pl.concat([ims_side, pr_side], how="diagonal_relaxed")
    status_ok = pl.col("found") == pl.col("expected_status")
    partner_ok = pl.col("found_pr_row").eq_missing(pl.col("pr_row"))
    rows = rows.with_columns((status_ok & partner_ok).fill_null(False).alias("ok"))

    predicted = res.filter(pl.col("ims_doc_no").is_not_null() & pl.col("found_pr_row").is_not_null())
    true_pairs = ims_truth.filter(pl.col("pr_row").is_not_null())
    correct = predicted.join(true_pairs, left_on=[*_IMS_KEY, "found_pr_row"], right_on=[*_IMS_KEY, "pr_row"], how="semi")
    mismatches = ims_side.filter((pl.col("expected_status") == "mismatch") & (pl.col("found") == "mismatch"))
    def as_set(col: str) -> pl.Expr:
        return pl.col(col).str.split(";").list.sort()

    diff_ok = mismatches.filter(as_set("found_differences") == as_set("expected_differences")).height
    return Accuracy(
        pair_precision=correct.height / predicted.height if predicted.height else 1.0,
        pair_recall=correct.height / true_pairs.height if true_pairs.height else 1.0,
        category_accuracy=rows["ok"].mean() if rows.height else 1.0,  # type: ignore[arg-type]
        differences_accuracy=diff_ok / mismatches.height if mismatches.height else 1.0,
        predicted_pairs=predicted.height,
        true_pairs=true_pairs.height,
        rows=rows.height,
        wrong=rows.filter(~pl.col("ok")),
    )
