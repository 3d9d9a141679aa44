"""Recommended actions: an ordered list of small named rules (``RULES``); the first that applies
wins. The rules read helper columns: ``_spec_pending_ok`` and ``_spec_why`` (may a credit note be
kept pending today, and why not: :mod:`imsrecon.recommend_window`), ``_date_only`` and
``_outside_ims`` (:mod:`imsrecon.recommend_facts`).

Portal rules are never broken, whatever the configuration says (domain doc §4): no Pending where
``ispendactblocked`` is Y, no Pending for a credit note outside its window, no Reject on import of
goods, no action on a document that is not in IMS. They are enforced after the rules (and any
overrides from the ``[recommend]`` table).

GSTR-2B's facts are never silent: a document GSTR-2B gives no ITC for is kept pending for review
where Pending is allowed (``itc_not_available``), else accepted with a reason saying so; every other
rule's reason says it too, and names an applicable percentage below 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from imsrecon.config import ConfigError, FilingConfig, MatchConfig
from imsrecon.match.parts import is_part
from imsrecon.normalise.flags import filed_expr, yes_expr
from imsrecon.normalise.scalar import per_distinct
from imsrecon.recommend_facts import (
    FACT_COLUMNS,
    ITC_WORDS,
    NO_ITC_CHANGE,
    PCT_WORDS,
    differences_within,
    itc_not_available,
    with_row_facts,
)
from imsrecon.recommend_window import SPECIFIED_SECTIONS, WINDOW_INPUTS, specified_window
from imsrecon.result import MatchStatus

ACCEPT, REJECT, PENDING, NONE = "Accept", "Reject", "Pending", ""


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
pending_allowed = ~pending_blocked & (~specified | pl.col("_spec_pending_ok"))
accepted_on_portal = pl.col("ims_action").fill_null("").str.strip_chars().str.to_uppercase() == "A"
_spec_why = pl.when(pending_blocked).then(pl.lit("Pending is blocked for this record")).otherwise(pl.col("_spec_why"))
_diffs = pl.col("differences").fill_null("").str.replace_all(";", ", ")
_differs = pl.lit("differs from your books (") + _diffs + pl.lit(")")
DECLARE = "the ITC reduction will be declared on acceptance"
_declare = pl.when(specified).then(pl.lit("; " + DECLARE)).otherwise(pl.lit(""))
# the engine's note on a pair (a document booked in parts), after the rule's own words
_note = pl.when(pl.col("reason").is_not_null()).then(pl.lit("; ") + pl.col("reason")).otherwise(pl.lit(""))
# what the books say of a paired document, in words
_books = (
    pl.when(_status(MatchStatus.EXACT)).then(pl.lit("IMS and your books agree"))
    .when(_status(MatchStatus.PROBABLE)).then(pl.lit("your books agree (identity inferred: check the number)"))
    .otherwise(_differs)
)  # fmt: skip
_outside = (
    pl.lit("in ") + pl.when(pl.col("ims_side") == "gstr2a").then(pl.lit("GSTR-2A")).otherwise(pl.lit("GSTR-2B"))
    + pl.when(pl.col("reverse_charge").fill_null(False)).then(pl.lit(" under reverse charge, which never passes through IMS"))
    .otherwise(pl.lit(" but not in the IMS download")) + pl.lit(": nothing to do in IMS; ")
    + pl.when(_status(MatchStatus.MISSING_IN_PR)).then(pl.lit("not in your books: book it or ask the supplier"))
    .when(_status(MatchStatus.MISMATCH)).then(_differs + pl.lit(": correct your books or ask the supplier to amend it"))
    .when(_status(MatchStatus.PROBABLE)).then(pl.lit("your books agree (identity inferred: check the number)"))
    .otherwise(pl.lit("your books agree"))
)  # fmt: skip

RULES: tuple[Rule, ...] = (
    Rule("not_in_ims", _status(MatchStatus.MISSING_IN_IMS), NONE,
         pl.lit("in your books but not in IMS: ask the supplier to report it")),
    Rule("part_of_document", is_part(), NONE,
         pl.col("reason") + pl.lit(": nothing to do")),
    Rule("booked_twice", _status(MatchStatus.DUPLICATE), NONE,
         pl.lit("booked twice in your books: ") + pl.col("reason").fill_null("")),
    Rule("outside_ims", pl.col("_outside_ims"), NONE, _outside + _note),
    Rule("itc_not_available", books_hold & itc_not_available & ~specified & ~accepted_on_portal & pending_allowed,
         PENDING, _books + pl.lit(", but ") + ITC_WORDS + pl.lit(": keep pending and review it") + _note),
    Rule("itc_not_available_accept", books_hold & itc_not_available & ~specified
         & (_status(MatchStatus.EXACT, MatchStatus.PROBABLE) | differences_within(NO_ITC_CHANGE)), ACCEPT,
         _books + pl.lit("; ") + ITC_WORDS + pl.lit(": accept it, and claim no ITC for it") + _note),
    Rule("credit_note_books_agree", _status(MatchStatus.EXACT, MatchStatus.PROBABLE) & specified, ACCEPT,
         _books + pl.lit("; ") + pl.lit(DECLARE) + _note),
    Rule("books_agree", _status(MatchStatus.EXACT), ACCEPT, pl.lit("IMS and your books agree") + _note),
    Rule("books_agree_probably", _status(MatchStatus.PROBABLE), ACCEPT,
         pl.lit("your books agree (identity inferred: check the number)") + _note),
    Rule("doc_date_only_accept", pl.col("_date_only"), ACCEPT,
         pl.lit("only the document date differs from your books, in the same tax period: accept, and correct the "
                "date in your books") + _declare + _note),
    Rule("accepted_no_itc_change", _status(MatchStatus.MISMATCH) & accepted_on_portal & differences_within(NO_ITC_CHANGE),
         ACCEPT, _differs + pl.lit(", which changes no ITC: keep it accepted and correct your books") + _declare + _note),
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
# rules whose reason asks for something besides the portal action: an already-actioned document keeps it
_BOOKS_NOTE_RULES = ("itc_not_available_accept", "doc_date_only_accept", "accepted_no_itc_change")

__all__ = [
    "ACCEPT", "NONE", "PENDING", "REJECT", "RULES", "Rule", "recommend", "rules_from_config",
    "suggest_from_decisions",
]  # fmt: skip

_PORTAL_WORD = {"A": "Accepted", "R": "Rejected", "P": "Pending"}
_WORD_ACTION = {"Accepted": ACCEPT, "Rejected": REJECT, "Pending": PENDING}
_OVERRIDE_VALUES = {"accept": ACCEPT, "reject": REJECT, "pending": PENDING, "": NONE, "off": None}


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
# the columns the window, the portal-rule steps and the GSTR-2B notes read, besides those the rules name
_PORTAL_INPUTS = ("match_status", "ims_section", "ims_ispendactblocked", "ims_action", "ims_srcfilstatus",
                  "itc_availability", "itc_reason", "applicable_pct", *WINDOW_INPUTS, *FACT_COLUMNS)  # fmt: skip


def recommend(
    result: pl.DataFrame,
    rules: tuple[Rule, ...] = RULES,
    today: dt.date | None = None,
    filing: FilingConfig | None = None,
    date_window_days: int = MatchConfig.date_window_days,
) -> pl.DataFrame:
    """Fill recommended_action, reason and recommendation_rule.

    ``today`` (default: the real date) decides whether a credit note's Pending window is still open;
    ``filing`` (default: every recipient monthly) how long that window is; ``date_window_days`` how
    far apart two dates may be for ``doc_date_only_accept``. A recommendation depends only on the
    few columns the rules read (status, section, flags, period, differences …) and on a few
    booleans computed per row (:func:`~imsrecon.recommend_facts.with_row_facts`), whose combinations are
    few: each combination is decided once and the answers are joined back to the rows.
    """
    work = with_row_facts(result, date_window_days)
    named = {n for r in rules for e in (r.when, r.reason) for n in e.meta.root_names()}
    inputs = [c for c in work.columns if c in named | set(_PORTAL_INPUTS)]
    # each row's combination of inputs as one 64-bit hash: the combinations are found, and their
    # answers joined back, on one integer (the distinct combinations are a few hundred: the odds that
    # two of them share a hash are ~1e-14)
    keyed = work.select(pl.struct(inputs).hash(7).alias("_k"))
    first = keyed.with_row_index("_at").unique("_k", keep="first", maintain_order=True)
    combos = work[first["_at"]].select(inputs).with_columns(first["_k"])
    decided = _recommend_rows(combos, rules, today, filing).select("_k", *_OUTPUTS)
    answers = keyed.join(decided, on="_k", how="left", maintain_order="left")
    return work.drop([c for c in _OUTPUTS if c in result.columns]).with_columns(
        answers.select(_OUTPUTS)
    ).select([*result.columns, *(c for c in _OUTPUTS if c not in result.columns)])


def _recommend_rows(
    result: pl.DataFrame, rules: tuple[Rule, ...], today: dt.date | None, filing: FilingConfig | None = None,
    date_window_days: int = MatchConfig.date_window_days,
) -> pl.DataFrame:
    """:func:`recommend` for every row of ``result``."""
    today = today or dt.date.today()
    has_facts = set(FACT_COLUMNS) <= set(result.columns)
    work = (result if has_facts else with_row_facts(result, date_window_days)).with_columns(
        specified_window(today, filing))
    action = pl.lit(None, pl.String)
    reason = pl.lit(None, pl.String)
    name = pl.lit(None, pl.String)
    for rule in reversed(rules):
        action = pl.when(rule.when).then(pl.lit(rule.action)).otherwise(action)
        reason = pl.when(rule.when).then(rule.reason).otherwise(reason)
        name = pl.when(rule.when).then(pl.lit(rule.name)).otherwise(name)
    work = work.with_columns(action.alias("_a"), reason.alias("_r"), name.alias("_n"))
    work = _gstr2b_notes(_portal_state(_enforce_portal_rules(work)))
    helpers = ["_a", "_r", "_n", "_spec_pending_ok", "_spec_why", *(c for c in FACT_COLUMNS if not has_facts)]
    return work.with_columns(
        pl.col("_a").alias("recommended_action"), pl.col("_r").alias("reason"), pl.col("_n").alias("recommendation_rule")
    ).drop(helpers)


def _enforce_portal_rules(work: pl.DataFrame) -> pl.DataFrame:
    """No action on a document outside IMS, no Pending where not allowed, no Reject on import of
    goods: rewrites what an override broke."""
    a, r, n = pl.col("_a"), pl.col("_r").fill_null(""), pl.col("_n")
    outside = pl.col("_outside_ims") & (a.fill_null("") != NONE)
    work = work.with_columns(
        pl.when(outside).then(pl.lit(NONE)).otherwise(a).alias("_a"),
        pl.when(outside).then(r + pl.lit("; but it is not in IMS: nothing to do there")).otherwise(pl.col("_r"))
        .alias("_r"),
        pl.when(outside).then(pl.lit("portal_outside_ims")).otherwise(n).alias("_n"),
    )
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
    already = pl.lit("already ") + word + pl.lit(" on the portal")
    reason = (
        pl.when(same & pl.col("_n").is_in(_BOOKS_NOTE_RULES)).then(already + pl.lit("; ") + pl.col("_r"))
        .when(same).then(already)
        .when(changes).then(pl.col("_r") + pl.lit("; changes the portal action from ") + word)
        .otherwise(pl.col("_r"))
    )  # fmt: skip
    return work.with_columns(
        pl.when(same).then(pl.lit(NONE)).otherwise(pl.col("_a")).alias("_a"),
        pl.when(not_filed).then(reason + pl.lit("; the supplier has not filed this return yet"))
        .otherwise(reason).alias("_r"),
        pl.when(same).then(pl.lit("already_actioned")).otherwise(pl.col("_n")).alias("_n"),
    )  # fmt: skip


def _gstr2b_notes(work: pl.DataFrame) -> pl.DataFrame:
    """GSTR-2B's ITC availability (where the rule did not say it already) and an applicable
    percentage below 100, at the end of the reason."""
    said = pl.col("_r").fill_null("").str.contains(ITC_WORDS, literal=True)  # by the rule, and kept since
    itc = pl.when(itc_not_available & ~said.fill_null(False)).then(pl.lit("; ") + ITC_WORDS)
    pct = pl.when(PCT_WORDS.is_not_null()).then(pl.lit("; ") + PCT_WORDS)
    noted = pl.concat_str([pl.col("_r").fill_null(""), itc, pct], ignore_nulls=True)
    return work.with_columns(pl.when(itc.is_not_null() | pct.is_not_null()).then(noted).otherwise(pl.col("_r")).alias("_r"))


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
