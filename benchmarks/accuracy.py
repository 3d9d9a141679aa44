"""Accuracy benchmark: generated data with ground truth, several seeds and mixes of messiness.

    python benchmarks/accuracy.py [--size 5000] [--seeds 1 2 3] [--show-wrong 20]

Reads the generated files through the real importers (so import effects count), reconciles,
and prints pair precision, pair recall and category accuracy per run and overall.
Targets (issue 3): precision >= 0.999, recall >= 0.995, category accuracy >= 0.99.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from imsrecon.demo.generator import Messiness, generate
from imsrecon.demo.scoring import score
from imsrecon.importers.base import ImportOptions
from imsrecon.importers.registry import read_file
from imsrecon.reconcile import reconcile

RECIPIENT = "27AAPFU0939F1ZV"
MIXES = {
    "default": Messiness(),
    "messy": Messiness().with_rates(
        typo=0.03, transposed_digits=0.03, transposed_digits_collision=0.01, fy_token=0.05, fy_token_and_value=0.01,
        branch_prefix_dropped=0.03, value_diff=0.05, date_diff=0.05, wrong_branch_gstin=0.03,
        booked_twice=0.03, recurring_amount=0.06, blank_doc_date=0.06, missing_in_pr=0.08, missing_in_ims=0.06,
    ),
    "recurring": Messiness().with_rates(recurring_amount=0.25, booked_twice=0.03, typo=0.03),
    "clean": Messiness.none(),
}


def run_one(size: int, seed: int, mix_name: str, layout: str, fmt: str):
    data = generate(n_ims=size, seed=seed, recipient_gstin=RECIPIENT, mix=MIXES[mix_name], layout=layout)
    with tempfile.TemporaryDirectory() as tmp:
        paths = data.write(Path(tmp), pr_format=fmt)
        opts = ImportOptions(recipient_gstin=RECIPIENT)
        ims = read_file(paths["ims"], opts, "ims").documents
        pr = read_file(paths["pr"], opts, "pr").documents
        rec = reconcile(ims, pr, recipient_gstin=RECIPIENT)
        truth = pl.read_csv(paths["truth"], infer_schema=False)
    rcm_rows = rec.reverse_charge["src_row"].to_list()
    return score(truth, rec.result, rcm_rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--mixes", nargs="+", default=list(MIXES))
    ap.add_argument("--show-wrong", type=int, default=0)
    ap.add_argument("--layouts", nargs="+", default=["tally", "zoho", "busy", "plain", "plain_us"],
                    help="register layouts, taken in turn (plain_us: dates month-first, as Excel in US English)")
    args = ap.parse_args(argv)
    layouts = args.layouts
    totals = {"pairs_correct": 0.0, "predicted": 0, "true": 0, "rows_ok": 0.0, "rows": 0}
    print(f"{'mix':<10} {'seed':>4} {'layout':<8} {'precision':>9} {'recall':>7} {'category':>8} {'diffs':>6} {'secs':>5}")
    for mix in args.mixes:
        for n, seed in enumerate(args.seeds):
            layout = layouts[(n + len(mix)) % len(layouts)]
            fmt = "xlsx" if seed % 2 == 0 else "csv"
            t = time.perf_counter()
            acc = run_one(args.size, seed, mix, layout, fmt)
            secs = time.perf_counter() - t
            print(f"{mix:<10} {seed:>4} {layout:<8} {acc.pair_precision:>9.4f} {acc.pair_recall:>7.4f} "
                  f"{acc.category_accuracy:>8.4f} {acc.differences_accuracy:>6.3f} {secs:>5.1f}")
            totals["pairs_correct"] += acc.pair_precision * acc.predicted_pairs
            totals["predicted"] += acc.predicted_pairs
            totals["true"] += acc.true_pairs
            totals["rows_ok"] += acc.category_accuracy * acc.rows
            totals["rows"] += acc.rows
            if args.show_wrong and acc.wrong.height:
                with pl.Config(tbl_cols=-1, tbl_width_chars=250, fmt_str_lengths=40, tbl_rows=args.show_wrong):
                    print(acc.wrong.select("expected_status", "found", "trap", "ims_doc_no", "pr_row", "found_pr_row",
                                           "expected_differences", "found_differences").head(args.show_wrong))
    precision = totals["pairs_correct"] / totals["predicted"]
    recall = totals["pairs_correct"] / totals["true"]
    category = totals["rows_ok"] / totals["rows"]
    print(f"overall: pair precision {precision:.4f}, pair recall {recall:.4f}, category accuracy {category:.4f}")
    ok = precision >= 0.999 and recall >= 0.995 and category >= 0.99
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
