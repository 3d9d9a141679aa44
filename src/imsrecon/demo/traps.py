"""Choose which documents get which trap, and how each trap changes the register's copy.

A document gets at most one trap (``typo_and_date`` is two slips in one booking, as one trap).
Traps that change a number or a GSTIN are checked against every number the supplier really used:
an edit that would land on another real document (other than on purpose, for
``transposed_digits_collision``) or that normalisation would undo is dropped, so the truth stays
exactly right. The register's copy of each document is a *plan*: arrays aligned with
the document frame (``pr_no``, ``pr_sup``, ``pr_days``, amounts, flags).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from imsrecon.demo import numbers as nb
from imsrecon.demo.documents import D_END, D_START, EPOCH
from imsrecon.demo.layouts import LayoutSpec
from imsrecon.demo.messiness import Messiness
from imsrecon.demo.suppliers import BRANCH_STYLES, YEAR_SEGMENT_STYLES
from imsrecon.normalise.docno import doc_no_norm_expr

AMENDED = {"b2b": "b2ba", "b2bcn": "b2bcna", "b2bdn": "b2bdna"}
HEADS = ("txval", "iamt", "camt", "samt", "cess")


def trap_counts(rng: np.random.Generator, mix: Messiness, n_ims: int) -> dict[str, int]:
    out = {}
    for name, rate in mix.trap_rates().items():
        out[name] = int(np.floor(rate * n_ims + rng.random()))
    return out


def pre_number_traps(rng: np.random.Generator, docs: pl.DataFrame, sup: pl.DataFrame, mix: Messiness,
                     counts: dict[str, int], n_ims: int) -> pl.DataFrame:
    """Traps that change what the supplier reported (so before numbering): unbooked records,
    amendments booked under the original number, documents dated 30/31 March booked in April."""
    kind = docs["kind"].to_numpy()
    section = np.array(docs["section"].to_list(), dtype=object)
    role = sup["role"].to_numpy()[docs["sup"].to_numpy()]
    trap = np.where(role == "recurring", "recurring_amount", "").astype(object)
    booked = np.ones(docs.height, dtype=bool)
    amend = docs["amend"].to_numpy().copy()
    days = docs["days"].to_numpy().copy()
    ims_free = (kind == "ims") & (trap == "")

    n_missing = int(np.floor(mix.missing_in_pr * n_ims + rng.random()))
    pick = _pick(rng, np.flatnonzero(ims_free), n_missing)
    booked[pick] = False
    free = ims_free & booked & (amend == 0)
    elig = free & np.isin(section, list(AMENDED))
    pick = _pick(rng, np.flatnonzero(elig), counts["amendment_original_number"])
    trap[pick] = "amendment_original_number"
    amend[pick] = 2
    section[pick] = [AMENDED[s] for s in section[pick]]
    free &= trap == ""
    elig = free & (section == "b2b") & (docs["inv_typ"].to_numpy() == "R")
    pick = _pick(rng, np.flatnonzero(elig), counts["year_boundary_date"])
    trap[pick] = "year_boundary_date"
    days[pick] = D_START - 1 - rng.integers(0, 2, size=len(pick))  # 31 or 30 March 2025
    return docs.with_columns(
        pl.Series("trap", trap.tolist(), dtype=pl.String), pl.Series("booked", booked),
        pl.Series("amend", amend), pl.Series("section", section.tolist(), dtype=pl.String),
        pl.Series("days", days),
    )


def _pick(rng: np.random.Generator, idx: np.ndarray, k: int) -> np.ndarray:
    if k <= 0 or len(idx) == 0:
        return idx[:0]
    return np.sort(rng.choice(idx, size=min(k, len(idx)), replace=False))


@dataclass
class Plan:
    """The register's copy of each document, aligned with the document frame."""

    trap: np.ndarray  # object
    pr_no: list[str]
    pr_sup: np.ndarray
    gstin_blank: np.ndarray
    pr_days: np.ndarray
    date_blank: np.ndarray
    amounts: dict[str, np.ndarray]  # HEADS -> register values (unsigned)
    negative: np.ndarray
    as_invoice: np.ndarray  # a credit note booked with an invoice voucher type
    dup: np.ndarray
    split: np.ndarray  # booked as two rows whose amounts add up to the document's
    vdays: np.ndarray  # voucher (booking) date


def _hash(keys: pl.Series) -> np.ndarray:
    return keys.hash(seed=0).to_numpy()


class _Taken:
    """Keys gstin|normalised-number in use: every real number (``universe``), the active numbers
    of booked IMS records (``active``) and the edits accepted so far. Real numbers are held as
    sorted 64-bit hashes: a hash collision can only turn an edit down, never let a clash through."""

    def __init__(self, universe: pl.Series, active: pl.Series):
        self.universe = np.sort(_hash(universe))
        self.active = np.sort(_hash(active))
        self.accepted: set[str] = set()

    @staticmethod
    def _member(sorted_hashes: np.ndarray, h: np.ndarray) -> np.ndarray:
        if len(sorted_hashes) == 0:
            return np.zeros(len(h), dtype=bool)
        pos = np.minimum(np.searchsorted(sorted_hashes, h), len(sorted_hashes) - 1)
        return sorted_hashes[pos] == h

    def in_universe(self, keys: pl.Series) -> np.ndarray:
        return self._member(self.universe, _hash(keys))

    def in_active(self, keys: pl.Series) -> np.ndarray:
        return self._member(self.active, _hash(keys))

    def in_accepted(self, keys: list[str]) -> np.ndarray:
        return np.array([k in self.accepted for k in keys], dtype=bool)


def _verify(gstins: list[str], props: list[str | None], own: list[str], mode: str, taken: _Taken) -> tuple[np.ndarray, list[str]]:
    frame = pl.DataFrame({"g": gstins, "p": props, "o": own}, schema={"g": pl.String, "p": pl.String, "o": pl.String})
    frame = frame.with_columns(doc_no_norm_expr(pl.col("p")).alias("pn"), doc_no_norm_expr(pl.col("o")).alias("on"))
    frame = frame.with_columns(pl.format("{}|{}", "g", "pn").alias("k"))
    base = frame.select(
        (pl.col("p").is_not_null() & pl.col("pn").is_not_null()).fill_null(False).alias("present"),
        (pl.col("pn") == pl.col("on")).fill_null(False).alias("same_norm"),
        (pl.col("p") == pl.col("o")).fill_null(False).alias("same_text"),
        pl.col("k").is_first_distinct().alias("first"),
    )
    present, same_norm, same_text, first = (base[c].to_numpy() for c in base.columns)
    keys = frame["k"].to_list()
    if mode == "same":
        ok = present & ~same_text & same_norm
    else:
        accepted = taken.in_accepted(keys)
        if mode == "collide":
            ok = present & ~same_norm & taken.in_active(frame["k"]) & ~accepted & first
        elif mode == "free_key":
            ok = present & ~taken.in_universe(frame["k"]) & ~accepted & first
        else:  # "differ"
            ok = present & ~same_norm & ~taken.in_universe(frame["k"]) & ~accepted & first
    return ok, keys


def plan_register(rng: np.random.Generator, docs: pl.DataFrame, sup: pl.DataFrame, counts: dict[str, int],
                  spec: LayoutSpec, universe: pl.Series) -> Plan:
    n = docs.height
    kind = docs["kind"].to_numpy()
    booked = docs["booked"].to_numpy()
    trap = np.array(docs["trap"].to_list(), dtype=object)
    amend = docs["amend"].to_numpy()
    s = docs["sup"].to_numpy()
    days = docs["days"].to_numpy()
    number = docs["number"].to_list()
    gstin = docs["gstin"].to_list()
    sup_gstin = sup["gstin"].to_list()
    alt_sup = sup["alt_sup"].to_numpy()[s]
    pr_no = list(number)
    for i in np.flatnonzero(trap == "amendment_original_number"):
        pr_no[i] = docs["orig_number"][int(i)]
    plan = Plan(
        trap=trap, pr_no=pr_no, pr_sup=s.copy(), gstin_blank=np.zeros(n, dtype=bool), pr_days=days.copy(),
        date_blank=np.zeros(n, dtype=bool), amounts={h: docs[h].to_numpy().copy() for h in HEADS},
        negative=np.zeros(n, dtype=bool), as_invoice=np.zeros(n, dtype=bool), dup=np.zeros(n, dtype=bool),
        split=np.zeros(n, dtype=bool),
        vdays=np.zeros(n, dtype=np.int64),
    )
    base = (kind == "ims") & booked & (amend == 0)
    active_mask = (kind == "ims") & booked
    active = docs.filter(pl.Series(active_mask)).select(
        pl.format("{}|{}", "gstin", doc_no_norm_expr(pl.col("number"))).alias("k"))["k"]
    taken = _Taken(universe, active)
    style = docs["style"].to_numpy()
    fy = docs["fy"].to_numpy()
    abbr = docs["abbr"].to_list()
    series_counter = docs["series"].to_numpy() * 1_000_000_000 + docs["counter"].to_numpy()
    tc = docs.select(nb.transposed_counter(pl.col("counter"), pl.col("pad")).alias("t"))["t"].to_numpy()
    tc_key = docs["series"].to_numpy() * 1_000_000_000 + np.nan_to_num(tc, nan=-1).astype(np.int64)
    collides = ~np.isnan(tc.astype(float)) & np.isin(tc_key, series_counter[active_mask])
    r1 = rng.integers(0, 1 << 30, size=n)
    r2 = rng.integers(0, 1 << 30, size=n)

    def remark_date(i: int) -> str:
        return (EPOCH + dt.timedelta(days=int(days[i]))).strftime("%d.%m.%y")

    def fy_edit(i: int) -> str | None:
        return nb.edit_fy_token(number[i], int(fy[i]), r1[i], style[i] in YEAR_SEGMENT_STYLES)

    number_edits: dict[str, tuple[np.ndarray, Callable[[int], str | None], str]] = {
        "transposed_digits_collision": (collides, lambda i: nb.edit_transpose(number[i], r1[i], last_pair=True), "collide"),
        "branch_prefix_dropped": (np.isin(style, BRANCH_STYLES), lambda i: nb.edit_branch_prefix(number[i], abbr[i]), "differ"),
        "fy_token": (np.ones(n, dtype=bool), fy_edit, "differ"),
        "fy_token_and_value": (plan.amounts["txval"] >= 1000, fy_edit, "differ"),
        "typo": (np.ones(n, dtype=bool), lambda i: nb.edit_typo(number[i], r1[i], r2[i]), "differ"),
        "typo_and_date": (np.ones(n, dtype=bool), lambda i: nb.edit_typo(number[i], r1[i], r2[i]), "differ"),
        "own_number": (np.ones(n, dtype=bool), lambda i: nb.edit_own_number(int(r1[i]), int(r2[i])), "differ"),
        "number_remark": (np.ones(n, dtype=bool), lambda i: nb.edit_remark(number[i], remark_date(i), r1[i]), "differ"),
        "transposed_digits": (np.ones(n, dtype=bool), lambda i: nb.edit_transpose(number[i], r1[i]), "differ"),
        "number_format": (np.ones(n, dtype=bool), lambda i: nb.edit_number_format(number[i], r1[i]), "same"),
        "spreadsheet_number": (np.array([x.isdigit() for x in number], dtype=bool),
                               lambda i: nb.edit_spreadsheet_number(number[i]), "same"),
    }
    iamt = plan.amounts["iamt"]
    inv_typ = np.array(docs["inv_typ"].to_list(), dtype=object)
    family = docs["family"].to_numpy()
    order = ("transposed_digits_collision", "branch_prefix_dropped", "wrong_branch_gstin", "wrong_supplier",
             "igst_as_cgst_sgst", "negative_credit_note", "fy_token", "fy_token_and_value", "typo", "typo_and_date",
             "own_number", "number_remark", "transposed_digits", "number_format", "spreadsheet_number", "value_diff",
             "date_diff", "rounding", "blank_doc_date", "booked_twice", "booked_in_parts", "blank_gstin_filled")
    for name in order:
        target = counts[name]
        if target <= 0:
            continue
        free = base & (trap == "")
        if name in number_edits:
            elig, edit, mode = number_edits[name]
            for i, prop in _accepted(rng, free & elig, target, edit, mode, gstin, number, taken):
                trap[i] = name
                pr_no[i] = prop
        elif name in ("wrong_branch_gstin", "wrong_supplier"):  # the same number under another GSTIN
            moved_to = alt_sup if name == "wrong_branch_gstin" else _other_pan_suppliers(rng, sup, s)
            moved_gstin = [sup_gstin[t] if t >= 0 else "" for t in moved_to.tolist()]
            for i, _prop in _accepted(rng, free & (moved_to >= 0), target, lambda i: number[i], "free_key",
                                      moved_gstin, number, taken):
                trap[i] = name
                plan.pr_sup[i] = moved_to[i]
        else:
            if name == "igst_as_cgst_sgst":
                elig = (iamt >= 10) & (inv_typ == "R")
            elif name == "negative_credit_note":
                elig = family == 1
            elif name in ("value_diff", "booked_in_parts"):
                elig = plan.amounts["txval"] >= 1000
            elif name == "blank_doc_date":  # needs a voucher date to stand in
                elig = np.full(n, spec.has("doc_date") and spec.has("voucher_date"))
            elif name == "blank_gstin_filled":  # the party needs another row
                elig = _party_rows(plan.pr_sup, booked) >= 2
            else:
                elig = np.ones(n, dtype=bool)
            trap[_pool(rng, free & elig, target)] = name
    _apply_effects(rng, plan, docs)
    _keep_one_gstin_per_party(plan, booked)
    return plan


def _other_pan_suppliers(rng: np.random.Generator, sup: pl.DataFrame, s: np.ndarray) -> np.ndarray:
    """For each document, a regular supplier picked at random from the ledger list, or -1 where
    that supplier has the document's own PAN (or there is none)."""
    pan = sup["pan"].to_numpy()
    regular = np.flatnonzero(sup["role"].to_numpy() == "regular")
    if len(regular) == 0:
        return np.full(len(s), -1)
    other = regular[rng.integers(0, len(regular), size=len(s))]
    return np.where(pan[other] != pan[s], other, -1)


def _pool(rng: np.random.Generator, mask: np.ndarray, target: int) -> np.ndarray:
    return rng.permutation(np.flatnonzero(mask))[:target]


def _accepted(
    rng: np.random.Generator, mask: np.ndarray, target: int, edit: Callable[[int], str | None], mode: str,
    gstins: list[str], number: list[str], taken: _Taken,
) -> list[tuple[int, str]]:
    """Up to ``target`` (document, edited number), in random order; edits are checked in chunks
    and the keys of accepted ones are marked taken (except in mode "same": nothing new)."""
    idx = rng.permutation(np.flatnonzero(mask))
    out: list[tuple[int, str]] = []
    pos = 0
    while len(out) < target and pos < len(idx):
        pool = idx[pos: pos + int((target - len(out)) * 1.25) + 32].tolist()
        pos += len(pool)
        props = [edit(i) for i in pool]
        ok, keys = _verify([gstins[i] for i in pool], props, [number[i] for i in pool], mode, taken)
        for j in np.flatnonzero(ok)[: target - len(out)].tolist():
            out.append((pool[j], props[j]))  # type: ignore[arg-type]
            if mode != "same":
                taken.accepted.add(keys[j])
    return out


def _party_rows(pr_sup: np.ndarray, booked: np.ndarray) -> np.ndarray:
    counts = np.bincount(pr_sup[booked], minlength=int(pr_sup.max(initial=0)) + 1)
    return counts[pr_sup]


def _apply_effects(rng: np.random.Generator, plan: Plan, docs: pl.DataFrame) -> None:
    trap, a = plan.trap, plan.amounts
    days = docs["days"].to_numpy()
    rate = docs["rate"].to_numpy()

    def sel(name: str) -> np.ndarray:
        return np.flatnonzero(trap == name)

    i = sel("rounding")  # paise keyed differently; CGST and SGST move together
    for h in ("txval", "iamt", "camt", "cess"):
        delta = rng.integers(-99, 100, size=len(i)) / 100.0
        if h == "txval":
            delta = np.where(delta == 0, 0.5, delta)
        a[h][i] = np.where(a[h][i] > 0, np.round(a[h][i] + delta, 2), a[h][i])
    a["samt"][i] = np.where(a["samt"][i] > 0, a["camt"][i], a["samt"][i])
    i = sel("value_diff")
    variant = rng.integers(0, 3, size=len(i))
    v0, v1, v2 = i[variant == 0], i[variant == 1], i[variant == 2]
    v0 = np.concatenate([v0, sel("fy_token_and_value")])  # the taxable value alone
    delta = np.maximum(2.0, np.round(np.abs(rng.normal(0, 0.05, size=len(v0))) * a["txval"][v0]))
    sign = np.where((rng.random(len(v0)) < 0.5) & (a["txval"][v0] - delta > 1), -1.0, 1.0)
    a["txval"][v0] = np.round(a["txval"][v0] + sign * delta, 2)
    factor = np.array([0.5, 0.9, 1.1, 2.0])[rng.integers(0, 4, size=len(v1))]
    for h in HEADS:
        a[h][v1] = np.round(a[h][v1] * factor, 2)
    other = np.array([5, 12, 18, 28])
    new_rate = other[(np.searchsorted(other, rate[v2]) + rng.integers(1, 4, size=len(v2))) % 4]
    tx = a["txval"][v2]
    a["iamt"][v2] = np.where(a["iamt"][v2] > 0, np.round(tx * new_rate / 100.0, 2), 0.0)
    half = np.where(a["camt"][v2] > 0, np.round(tx * new_rate / 200.0, 2), 0.0)
    a["camt"][v2], a["samt"][v2] = half, half.copy()
    i = sel("igst_as_cgst_sgst")
    half = np.round(a["iamt"][i] / 2.0, 2)
    a["camt"][i], a["samt"][i] = half, np.round(a["iamt"][i] - half, 2)
    a["iamt"][i] = 0.0
    i = np.flatnonzero((trap == "date_diff") | (trap == "typo_and_date"))
    k = rng.integers(1, 8, size=len(i)) * np.where(rng.random(len(i)) < 0.5, -1, 1)
    k = np.where(days[i] + k > D_END, -np.abs(k), k)
    plan.pr_days[i] = days[i] + k
    i = sel("year_boundary_date")
    plan.pr_days[i] = D_START + rng.integers(0, 2, size=len(i))
    plan.date_blank[sel("blank_doc_date")] = True
    plan.gstin_blank[sel("blank_gstin_filled")] = True
    i = sel("negative_credit_note")
    plan.negative[i] = True
    plan.as_invoice[i] = rng.random(len(i)) < 0.6
    plan.dup[sel("booked_twice")] = True
    plan.split[sel("booked_in_parts")] = True
    vd = np.clip(days + docs["lag"].to_numpy(), D_START, D_END)
    plan.vdays[:] = np.where(plan.date_blank, vd, np.maximum(vd, np.minimum(plan.pr_days, D_END)))


def _keep_one_gstin_per_party(plan: Plan, booked: np.ndarray) -> None:
    """A blanked GSTIN can be filled only from another row of the same party: where every row of
    a party lost its GSTIN, put it back on one of them (that row loses the trap)."""
    rows = np.flatnonzero(booked)
    with_gstin = np.bincount(plan.pr_sup[rows][~plan.gstin_blank[rows]], minlength=int(plan.pr_sup.max(initial=0)) + 1)
    restored: set[int] = set()
    for i in np.flatnonzero(plan.gstin_blank).tolist():
        p = int(plan.pr_sup[i])
        if with_gstin[p] == 0 and p not in restored:
            restored.add(p)
            plan.gstin_blank[i] = False
            plan.trap[i] = ""
