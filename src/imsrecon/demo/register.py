"""The purchase register as the books hold it: one row per booking, in booking-date order, every
cell as the text an export would carry (dates, Indian digit grouping, negative credit notes)."""

from __future__ import annotations

import numpy as np
import polars as pl

from imsrecon.demo.documents import D_END, EPOCH
from imsrecon.demo.layouts import LayoutSpec
from imsrecon.demo.messiness import Messiness
from imsrecon.demo.suppliers import state_name
from imsrecon.demo.traps import HEADS, Plan

_ROLE_OF_HEAD = {"txval": "taxable_value", "iamt": "igst", "camt": "cgst", "samt": "sgst", "cess": "cess"}


def register_rows(rng: np.random.Generator, docs: pl.DataFrame, sup: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Semantic register rows (typed values), sorted as the register lists them, with ``pr_row``."""
    booked = docs["booked"].to_numpy()
    idx = np.flatnonzero(booked)
    dup_idx = np.flatnonzero(booked & plan.dup)
    part_idx = np.flatnonzero(booked & plan.split)
    rows = np.concatenate([idx, dup_idx, part_idx])
    is_dup = np.concatenate([np.zeros(len(idx), dtype=bool), np.ones(len(dup_idx), dtype=bool),
                             np.zeros(len(part_idx), dtype=bool)])
    is_part = np.concatenate([np.zeros(len(idx) + len(dup_idx), dtype=bool), np.ones(len(part_idx), dtype=bool)])
    later = is_dup | is_part  # a second booking comes after the first
    vdays = plan.vdays[rows].copy()
    vdays[is_dup] = np.minimum(vdays[is_dup] + rng.integers(0, 15, size=len(dup_idx)), D_END)
    vdays[is_part] = np.minimum(vdays[is_part] + (rows[is_part] % 15), D_END)  # (no draw: other traps keep their data)
    tie = rng.random(len(rows))
    order = np.lexsort((tie, later, vdays))
    rows, is_dup, is_part, vdays = rows[order], is_dup[order], is_part[order], vdays[order]

    family = docs["family"].to_numpy()[rows]
    vclass = np.where(family == 1, "credit_note", np.where(family == 2, "debit_note", "invoice")).astype(object)
    vclass[plan.as_invoice[rows]] = "invoice"
    sign = np.where(plan.negative[rows], -1.0, 1.0)
    pr_sup = plan.pr_sup[rows]
    amounts = {h: plan.amounts[h][rows] for h in HEADS}
    ims_sum = sum(docs[h].to_numpy()[rows] for h in HEADS)
    pr_sum = sum(amounts.values())
    total = np.round(docs["val"].to_numpy()[rows] + (pr_sum - ims_sum), 2)
    # a document booked in parts: the first row takes a share (55-85 %) of every amount, the part the rest
    split = plan.split[rows]
    share = 0.55 + 0.3 * ((rows * 2654435761) % 1000) / 1000.0
    for values in (*amounts.values(), total):
        first = np.round(values * share, 2)
        values[:] = np.where(split, np.where(is_part, np.round(values - first, 2), first), values)
    pr_days = plan.pr_days[rows]
    gstin = np.array(sup["gstin"].to_list(), dtype=object)[pr_sup]
    gstin[plan.gstin_blank[rows]] = None
    frame = pl.DataFrame({
        "doc": rows, "is_dup": is_dup, "is_part": is_part, "pr_row": np.arange(1, len(rows) + 1, dtype=np.int64),
        "party_name": pl.Series(np.array(sup["name"].to_list(), dtype=object)[pr_sup].tolist(), dtype=pl.String),
        "supplier_gstin": pl.Series(gstin.tolist(), dtype=pl.String),
        "doc_no": pl.Series([plan.pr_no[i] for i in rows.tolist()], dtype=pl.String),
        "doc_days": np.where(plan.date_blank[rows], -1, pr_days),
        "voucher_days": vdays,
        "vclass": pl.Series(vclass.tolist(), dtype=pl.String),
        "place_of_supply": docs["pos"].gather(rows),
        **{h: amounts[h] * sign for h in HEADS},
        "total": total * sign,
        "reverse_charge": docs["kind"].gather(rows) == "rcm",
    })
    epoch = pl.lit(EPOCH)
    return frame.with_columns(
        pl.when(pl.col("doc_days") >= 0).then(epoch + pl.duration(days=pl.col("doc_days"))).otherwise(None)
        .cast(pl.Date).alias("doc_date"),
        (epoch + pl.duration(days=pl.col("voucher_days"))).cast(pl.Date).alias("voucher_date"),
    ).drop("doc_days", "voucher_days")


def _indian(r: pl.Expr) -> pl.Expr:
    """Whole rupees (Int64, >= 0) grouped the Indian way: 1,18,000 and 1,00,00,000."""

    def part(div: int, mod: int, width: int) -> pl.Expr:
        return ((r // div) % mod).cast(pl.String).str.zfill(width)

    a3, b2, c2, d2 = part(1, 1000, 3), part(1000, 100, 2), part(100_000, 100, 2), part(10_000_000, 100, 2)
    lead = [(r // 1000), (r // 100_000), (r // 10_000_000), (r // 1_000_000_000)]
    tails = [[a3], [b2, a3], [c2, b2, a3], [d2, c2, b2, a3]]
    out = pl.when(r < 1000).then(r.cast(pl.String))
    for limit, head, tail in zip((100_000, 10_000_000, 1_000_000_000), lead[:3], tails[:3], strict=True):
        out = out.when(r < limit).then(pl.concat_str([head.cast(pl.String), *tail], separator=","))
    return out.otherwise(pl.concat_str([lead[3].cast(pl.String), *tails[3]], separator=","))


def amount_text(v: pl.Series, indian: np.ndarray, paren: np.ndarray) -> pl.Series:
    """Amounts as text: "118000.00"; "1,18,000.00" where ``indian``; negatives "-1180.00", or
    "(1,180.00)" where ``paren``. The grouping is computed for the rows that need it only."""
    frame = pl.DataFrame({"v": v})
    cents = (pl.col("v").abs() * 100).round(0).cast(pl.Int64)
    neg = (pl.col("v") < 0) & (cents > 0)
    paise = (cents % 100).cast(pl.String).str.zfill(2)
    plain = frame.select(
        pl.concat_str([pl.when(neg).then(pl.lit("-")).otherwise(pl.lit("")), (cents // 100).cast(pl.String), pl.lit("."), paise])
    ).to_series()
    negative = (v < 0).to_numpy()
    idx = np.flatnonzero(indian | (paren & negative))
    if len(idx) == 0:
        return plain.alias(v.name)
    sub = frame[idx].with_columns(pl.Series("_p", paren[idx]))
    body = pl.concat_str([_indian(cents // 100), pl.lit("."), paise])
    grouped = sub.select(
        pl.when(neg & pl.col("_p")).then(pl.concat_str([pl.lit("("), body, pl.lit(")")]))
        .when(neg).then(pl.concat_str([pl.lit("-"), body]))
        .otherwise(body)
    ).to_series()
    return plain.scatter(idx, grouped).alias(v.name)


def register_text(rng: np.random.Generator, rows: pl.DataFrame, spec: LayoutSpec, mix: Messiness) -> pl.DataFrame:
    """The register in ``spec``'s layout: its headers as columns, every cell text (null = blank)."""
    m = rows.height
    cosmetic = pl.DataFrame({
        "_indian": rng.random(m) < mix.indian_grouping,
        "_slash": rng.random(m) < mix.slash_dates,
        "_short": rng.random(m) < mix.short_yes_no,
        "_paren": rng.random(m) < 0.4,
    })
    df = pl.concat([rows, cosmetic], how="horizontal")
    vtype = pl.col("vclass").replace_strict(spec.voucher_types, return_dtype=pl.String)
    df = df.with_columns(vtype.alias("_vtype"))
    df = df.with_columns((pl.int_range(1, pl.len() + 1).over("_vtype")).cast(pl.String).alias("_vno"))
    yes, no = spec.yes_no
    pos_names = {c: f"{c}-{state_name(c)}" for c in df["place_of_supply"].unique().drop_nulls().to_list()}
    exprs: dict[str, pl.Expr] = {
        "voucher_date": pl.col("voucher_date").dt.strftime(spec.date_format),
        "doc_date": pl.when(pl.col("_slash")).then(pl.col("doc_date").dt.strftime(spec.slash_date_format))
        .otherwise(pl.col("doc_date").dt.strftime(spec.date_format)),
        "voucher_type": pl.col("_vtype"),
        "voucher_no": pl.col("_vno"),
        "party_name": pl.col("party_name"),
        "supplier_gstin": pl.col("supplier_gstin"),
        "doc_no": pl.col("doc_no"),
        "place_of_supply": pl.col("place_of_supply") if spec.pos_style == "code"
        else pl.col("place_of_supply").replace_strict(pos_names, default=pl.col("place_of_supply"), return_dtype=pl.String),
        "reverse_charge": pl.when(pl.col("reverse_charge"))
        .then(pl.when(pl.col("_short")).then(pl.lit(yes[0])).otherwise(pl.lit(yes)))
        .otherwise(pl.when(pl.col("_short")).then(pl.lit(no[0])).otherwise(pl.lit(no))),
    }
    indian = cosmetic["_indian"].to_numpy()
    paren = cosmetic["_paren"].to_numpy()
    amount_cols = {"total": "total", **{h: r for h, r in _ROLE_OF_HEAD.items()}}
    for col, role in amount_cols.items():
        text = amount_text(df[col], indian, paren)
        df = df.with_columns(text.alias(f"_t_{col}"))
        expr = pl.col(f"_t_{col}")
        if spec.blank_zero_amounts and role not in ("taxable_value", "total"):
            expr = pl.when(pl.col(col) == 0).then(None).otherwise(expr)
        exprs[role] = expr
    return df.select([exprs[spec.role_of(h) or ""].cast(pl.String).alias(h) for h in spec.headers])
