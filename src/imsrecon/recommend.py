"""Recommended actions: an ordered list of small named rules (``RULES``); the first that applies
wins. The rules read two helper columns computed for a given ``today``: ``_spec_pending_ok`` and
``_spec_why`` (may a credit note be kept pending, and why not).

Portal rules are never broken, whatever the configuration says (domain doc §4): no Pending where
``ispendactblocked`` is Y, no Pending for a credit note outside its window, no Reject on import of
goods. They are enforced after the rules (and any overrides from the ``[recommend]`` table).

A specified record's 2B period is not in the result: ``ims_tax_period`` (the supplier's period,
MMYYYY) stands in for it. An unknown period allows no Pending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from imsrecon.config import ConfigError
from imsrecon.match.parts import is_part
from imsrecon.normalise.flags import filed_expr, yes_expr
from imsrecon.normalise.scalar import per_distinct
from imsrecon.result import MatchStatus

ACCEPT, REJECT, PENDING, NONE = "Accept", "Reject", "Pending", ""

# "Specified records" (domain doc §4): credit notes and their amendments. Pending is allowed for them
# from the Oct-2025 tax period on, for one tax period only. Both section spellings are read (§2).
# The "some downward amendments" of invoices are not identified yet: add their sections here.
SPECIFIED_SECTIONS: tuple[str, ...] = ("b2bcn", "b2bcna", "cn", "cna")
SPECIFIED_PENDING_FROM = (2025, 10)  # first tax period (year, month) where Pending is allowed at all
# UNCONFIRMED: GSTR-3B due day of the month after a period (20th for monthly filers; QRMP filers
# have the 22nd/24th). A specified record may stay pending until the 3B due date of the period after
# its 2B period: the GSTR3B_DUE_DAY of the month after next.
GSTR3B_DUE_DAY = 20


@dataclass(frozen=True)
class Rule:
    name: str
    when: pl.Expr
    action: str
    reason: pl.Expr


def _status(*s: MatchStatus) -> pl.Expr:
    return pl.col("match_status").is_in([x.value for x in s])


pending_blocked = yes_expr(pl.col("ims_ispendactblocked"))
import_of_goods = pl.col("ims_section").fill_null("").str.to_lowercase().str.starts_with("impg")
specified = pl.col("ims_section").fill_null("").str.to_lowercase().is_in(list(SPECIFIED_SECTIONS))
# the IMS document is paired with a register row
books_hold = pl.col("match_status").is_in([MatchStatus.EXACT, MatchStatus.PROBABLE, MatchStatus.MISMATCH])
# a specified record that may not be kept pending (blocked, too early, or its window has passed)
specified_no_pending = specified & (pending_blocked | ~pl.col("_spec_pending_ok"))
_spec_why = pl.when(pending_blocked).then(pl.lit("Pending is blocked for this record")).otherwise(pl.col("_spec_why"))
_diffs = pl.col("differences").fill_null("").str.replace_all(";", ", ")
_differs = pl.lit("differs from your books (") + _diffs + pl.lit(")")
DECLARE = "the ITC reduction will be declared on acceptance"
# the engine's note on a pair (a document booked in parts), after the rule's own words
_note = pl.when(pl.col("reason").is_not_null()).then(pl.lit("; ") + pl.col("reason")).otherwise(pl.lit(""))

RULES: tuple[Rule, ...] = (
    Rule("not_in_ims", _status(MatchStatus.MISSING_IN_IMS), NONE,
         pl.lit("in your books but not in IMS: ask the supplier to report it")),
    Rule("part_of_document", is_part(), NONE,
         pl.col("reason") + pl.lit(": nothing to do")),
    Rule("booked_twice", _status(MatchStatus.DUPLICATE), NONE,
         pl.lit("booked twice in your books: ") + pl.col("reason").fill_null("")),
    Rule("credit_note_books_agree", _status(MatchStatus.EXACT, MatchStatus.PROBABLE) & specified, ACCEPT,
         pl.when(_status(MatchStatus.PROBABLE))
         .then(pl.lit("your books agree (identity inferred: check the number); "))
         .otherwise(pl.lit("IMS and your books agree; ")) + pl.lit(DECLARE) + _note),
    Rule("books_agree", _status(MatchStatus.EXACT), ACCEPT, pl.lit("IMS and your books agree") + _note),
    Rule("books_agree_probably", _status(MatchStatus.PROBABLE), ACCEPT,
         pl.lit("your books agree (identity inferred: check the number)") + _note),
    Rule("credit_note_differs_accept", _status(MatchStatus.MISMATCH) & specified_no_pending, ACCEPT,
         _differs + pl.lit("; ") + _spec_why + pl.lit(": accept, your books hold this credit note; ") + pl.lit(DECLARE)),
    Rule("differs_keep_pending", _status(MatchStatus.MISMATCH) & ~pending_blocked, PENDING,
         _differs + pl.lit(": keep pending until resolved") + _note),
    Rule("differs_import_accept", _status(MatchStatus.MISMATCH) & import_of_goods, ACCEPT,
         _differs + pl.lit("; import of goods cannot be rejected and Pending is blocked")),
    Rule("differs_reject", _status(MatchStatus.MISMATCH), REJECT,
         _differs + pl.lit("; Pending is blocked for this record")),
    Rule("credit_note_not_booked_reject", _status(MatchStatus.MISSING_IN_PR) & specified_no_pending, REJECT,
         pl.lit("not in your books; ") + _spec_why + pl.lit(": reject")),
    Rule("not_booked_pending", _status(MatchStatus.MISSING_IN_PR) & ~pending_blocked, PENDING,
         pl.lit("not in your books: keep pending until booked or disputed")),
    Rule("not_booked_import_accept", _status(MatchStatus.MISSING_IN_PR) & import_of_goods, ACCEPT,
         pl.lit("not in your books; import of goods cannot be rejected and Pending is blocked")),
    Rule("not_booked_reject", _status(MatchStatus.MISSING_IN_PR), REJECT,
         pl.lit("not in your books and Pending is blocked for this record")),
)

__all__ = [
    "ACCEPT", "NONE", "PENDING", "REJECT", "RULES", "Rule", "recommend", "rules_from_config",
    "suggest_from_decisions",
]  # fmt: skip

_PORTAL_WORD = {"A": "Accepted", "R": "Rejected", "P": "Pending"}
_WORD_ACTION = {"Accepted": ACCEPT, "Rejected": REJECT, "Pending": PENDING}
_OVERRIDE_VALUES = {"accept": ACCEPT, "reject": REJECT, "pending": PENDING, "": NONE, "off": None}


def _specified_window(today: dt.date) -> list[pl.Expr]:
    """``_spec_pending_ok``: a specified record may be kept pending today; ``_spec_why``: why not."""
    def month_index(raw: pl.Expr) -> pl.Expr:  # MMYYYY -> months since year 0 (null if not a period)
        period = raw.fill_null("").str.strip_chars()
        month = period.str.slice(0, 2).cast(pl.Int64, strict=False)
        year = period.str.slice(2, 4).cast(pl.Int64, strict=False)
        valid = (period.str.len_chars() == 6) & month.is_between(1, 12)
        return pl.when(valid).then(year * 12 + month - 1)

    index = per_distinct(pl.col("ims_tax_period"), month_index, pl.Int64)  # few periods: once each
    start = SPECIFIED_PENDING_FROM[0] * 12 + SPECIFIED_PENDING_FROM[1] - 1
    deadline = index + 2  # the month after next: 3B due date of the period after the 2B period
    now = today.year * 12 + today.month - 1
    in_window = (pl.lit(now) < deadline) | ((pl.lit(now) == deadline) & pl.lit(today.day <= GSTR3B_DUE_DAY))
    ok = (index >= start) & in_window
    ended = (
        pl.lit(f"{GSTR3B_DUE_DAY:02d}-")
        + (deadline % 12 + 1).cast(pl.String).str.zfill(2) + pl.lit("-") + (deadline // 12).cast(pl.String)
    )
    why = (
        pl.when(index.is_null()).then(pl.lit("the tax period is unknown, so this credit note cannot be kept pending"))
        .when(index < start).then(pl.lit("credit notes before the Oct-2025 tax period cannot be kept pending"))
        .otherwise(pl.lit("its one-period Pending window ended on ") + ended)
    )  # fmt: skip
    return [ok.fill_null(False).alias("_spec_pending_ok"), why.alias("_spec_why")]


def rules_from_config(data: Mapping[str, Any], rules: tuple[Rule, ...] = RULES, source: str = "config") -> tuple[Rule, ...]:
    """``rules`` with the overrides of the parsed TOML's ``[recommend]`` table (rule name -> "Accept",
    "Reject", "Pending", "" for no action, or "off" to drop the rule). Portal rules still win."""
    table = data.get("recommend", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [recommend] must be a table of rule = action")
    names = [r.name for r in rules]
    unknown = set(table) - set(names)
    if unknown:
        raise ConfigError(f"{source}: [recommend] unknown rule(s) {sorted(unknown)}; known: {names}")
    overrides: dict[str, str | None] = {}
    for name, value in table.items():
        if not isinstance(value, str) or value.strip().lower() not in _OVERRIDE_VALUES:
            raise ConfigError(f'{source}: [recommend] {name} must be "Accept", "Reject", "Pending", "" or "off", '
                              f"not {value!r}")  # fmt: skip
        overrides[name] = _OVERRIDE_VALUES[value.strip().lower()]
    out = []
    for rule in rules:
        if rule.name not in overrides:
            out.append(rule)
        elif overrides[rule.name] is not None:
            out.append(Rule(rule.name, rule.when, overrides[rule.name], rule.reason))  # type: ignore[arg-type]
    return tuple(out)


_OUTPUTS = ("recommended_action", "reason", "recommendation_rule")
# the columns the portal-rule steps read, besides those the rules name
_PORTAL_INPUTS = ("match_status", "ims_section", "ims_ispendactblocked", "ims_tax_period", "ims_action",
                  "ims_srcfilstatus")  # fmt: skip


def recommend(result: pl.DataFrame, rules: tuple[Rule, ...] = RULES, today: dt.date | None = None) -> pl.DataFrame:
    """Fill recommended_action, reason and recommendation_rule.

    ``today`` (default: the real date) decides whether a credit note's Pending window is still open.
    A recommendation depends only on the few columns the rules read (status, section, flags,
    period, differences …), whose combinations are few: each combination is decided once and the
    answers are joined back to the rows.
    """
    named = {n for r in rules for e in (r.when, r.reason) for n in e.meta.root_names()}
    inputs = [c for c in result.columns if c in named | set(_PORTAL_INPUTS)]
    keys = {c: f"_in_{i}" for i, c in enumerate(inputs)}  # the inputs as they were (reason is both)
    combos = result.select(inputs).unique().with_columns(pl.col(c).alias(k) for c, k in keys.items())
    decided = _recommend_rows(combos, rules, today).select(*keys.values(), *_OUTPUTS)
    order = [*result.columns, *(c for c in _OUTPUTS if c not in result.columns)]
    return (
        result.with_columns(pl.col(c).alias(k) for c, k in keys.items())
        .drop([c for c in _OUTPUTS if c in result.columns])
        .join(decided, on=list(keys.values()), how="left", nulls_equal=True, maintain_order="left")
        .select(order)
    )


def _recommend_rows(result: pl.DataFrame, rules: tuple[Rule, ...], today: dt.date | None) -> pl.DataFrame:
    """:func:`recommend` for every row of ``result``."""
    today = today or dt.date.today()
    work = result.with_columns(_specified_window(today))
    action = pl.lit(None, pl.String)
    reason = pl.lit(None, pl.String)
    name = pl.lit(None, pl.String)
    for rule in reversed(rules):
        action = pl.when(rule.when).then(pl.lit(rule.action)).otherwise(action)
        reason = pl.when(rule.when).then(rule.reason).otherwise(reason)
        name = pl.when(rule.when).then(pl.lit(rule.name)).otherwise(name)
    work = work.with_columns(action.alias("_a"), reason.alias("_r"), name.alias("_n"))
    work = _enforce_portal_rules(work)
    work = _portal_state(work)
    return work.with_columns(
        pl.col("_a").alias("recommended_action"), pl.col("_r").alias("reason"), pl.col("_n").alias("recommendation_rule")
    ).drop("_a", "_r", "_n", "_spec_pending_ok", "_spec_why")


def _enforce_portal_rules(work: pl.DataFrame) -> pl.DataFrame:
    """No Pending where not allowed, no Reject on import of goods: rewrites what an override broke."""
    a, r, n = pl.col("_a"), pl.col("_r").fill_null(""), pl.col("_n")
    no_pending = pending_blocked | (specified & ~pl.col("_spec_pending_ok"))
    bad_pending = (a == PENDING) & no_pending
    instead = pl.when(import_of_goods | books_hold).then(pl.lit(ACCEPT)).otherwise(pl.lit(REJECT))
    why = pl.when(specified & ~pending_blocked).then(pl.col("_spec_why")).otherwise(pl.lit("Pending is blocked"))
    work = work.with_columns(
        pl.when(bad_pending).then(instead).otherwise(a).alias("_a"),
        pl.when(bad_pending).then(r + pl.lit("; but ") + why + pl.lit(": ") + instead.str.to_lowercase()
                                  + pl.lit(" instead")).otherwise(pl.col("_r")).alias("_r"),
        pl.when(bad_pending).then(pl.lit("portal_no_pending")).otherwise(n).alias("_n"),
    )
    a, r, n = pl.col("_a"), pl.col("_r").fill_null(""), pl.col("_n")
    bad_reject = (a == REJECT) & import_of_goods
    instead = pl.when(pending_blocked).then(pl.lit(ACCEPT)).otherwise(pl.lit(PENDING))
    return work.with_columns(
        pl.when(bad_reject).then(instead).otherwise(a).alias("_a"),
        pl.when(bad_reject).then(r + pl.lit("; but import of goods cannot be rejected: ") + instead.str.to_lowercase()
                                 + pl.lit(" instead")).otherwise(pl.col("_r")).alias("_r"),
        pl.when(bad_reject).then(pl.lit("portal_no_reject_import")).otherwise(n).alias("_n"),
    )  # fmt: skip


def _portal_state(work: pl.DataFrame) -> pl.DataFrame:
    """Already actioned on the portal, and supplier not filed (a flag on the reason)."""
    word = per_distinct(pl.col("ims_action"), lambda s: s.fill_null("").str.strip_chars().str.to_uppercase().replace_strict(
        _PORTAL_WORD, default=None, return_dtype=pl.String), pl.String)  # fmt: skip
    portal_action = word.replace_strict(_WORD_ACTION, default=None, return_dtype=pl.String)
    a = pl.col("_a").fill_null("")
    same = word.is_not_null() & (a == portal_action)
    changes = word.is_not_null() & (a != "") & (a != portal_action)
    not_filed = per_distinct(pl.col("ims_srcfilstatus"), lambda s: ~filed_expr(s), pl.Boolean).fill_null(False)
    reason = (
        pl.when(same).then(pl.lit("already ") + word + pl.lit(" on the portal"))
        .when(changes).then(pl.col("_r") + pl.lit("; changes the portal action from ") + word)
        .otherwise(pl.col("_r"))
    )  # fmt: skip
    return work.with_columns(
        pl.when(same).then(pl.lit(NONE)).otherwise(pl.col("_a")).alias("_a"),
        pl.when(not_filed).then(reason + pl.lit("; the supplier has not filed this return yet"))
        .otherwise(reason).alias("_r"),
        pl.when(same).then(pl.lit("already_actioned")).otherwise(pl.col("_n")).alias("_n"),
    )  # fmt: skip


def _supplier(df: pl.DataFrame) -> pl.Expr:
    if "supplier_gstin" in df.columns:
        return pl.col("supplier_gstin")
    return pl.coalesce("ims_supplier_gstin", "pr_supplier_gstin")


def suggest_from_decisions(result: pl.DataFrame, decisions_history: pl.DataFrame, min_times: int = 2) -> pl.DataFrame:
    """``result`` with ``suggested_action`` and ``suggestion_reason`` (pure; applied nowhere).

    ``decisions_history``: earlier decisions (matching_key, action, decided_at) joined to the result rows
    they were made on (``supplier_gstin`` or ``ims_supplier_gstin``/``pr_supplier_gstin``, match_status,
    differences). The latest decision per matching key counts. A row of ``result`` without a decision
    gets a suggestion when earlier documents of the same supplier, match status and differences were
    decided the same way at least ``min_times`` times and never another way; never one the portal
    refuses (Pending where blocked, Reject on import of goods).
    """
    pattern = ["_supplier", "_status", "_diffs"]
    hist = (
        decisions_history.sort("decided_at", nulls_last=False)
        .group_by("matching_key", maintain_order=True).last()
        .select(
            "matching_key", "action", _supplier(decisions_history).alias("_supplier"),
            pl.col("match_status").alias("_status"), pl.col("differences").fill_null("").alias("_diffs"),
        )
        .filter(pl.col("action").fill_null("") != "")
    )  # fmt: skip
    learned = (
        hist.group_by(pattern).agg(pl.col("action").n_unique().alias("_kinds"), pl.col("action").first().alias("_act"),
                                   pl.len().alias("_times"))
        .filter((pl.col("_kinds") == 1) & (pl.col("_times") >= min_times))
        .drop("_kinds")
    )  # fmt: skip
    decided = hist["matching_key"].to_list()
    work = result.with_columns(
        _supplier(result).alias("_supplier"), pl.col("match_status").alias("_status"),
        pl.col("differences").fill_null("").alias("_diffs"),
    ).join(learned, on=pattern, how="left", maintain_order="left", nulls_equal=True)
    refused = ((pl.col("_act") == PENDING) & pending_blocked) | ((pl.col("_act") == REJECT) & import_of_goods)
    give = pl.col("_act").is_not_null() & ~pl.col("matching_key").is_in(decided) & ~refused
    return work.with_columns(
        pl.when(give).then(pl.col("_act")).alias("suggested_action"),
        pl.when(give).then(pl.format("suggested from your earlier decisions ({} times)", pl.col("_times")))
        .alias("suggestion_reason"),
    ).drop(*pattern, "_act", "_times")  # fmt: skip
