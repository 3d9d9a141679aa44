"""Recommended actions: an ordered list of small named rules; the first that applies wins.

Portal rules are never broken: no Pending where ``ispendactblocked`` is Y, no Reject on import of
goods (domain doc §4).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from imsrecon.result import MatchStatus

ACCEPT, REJECT, PENDING, NONE = "Accept", "Reject", "Pending", ""


@dataclass(frozen=True)
class Rule:
    name: str
    when: pl.Expr
    action: str
    reason: pl.Expr


def _status(s: MatchStatus) -> pl.Expr:
    return pl.col("match_status") == s.value


_pending_blocked = pl.col("ims_ispendactblocked").fill_null("N").str.to_uppercase() == "Y"
_import_of_goods = pl.col("ims_section").fill_null("").str.starts_with("impg")
_diffs = pl.col("differences").fill_null("").str.replace_all(";", ", ")

RULES: tuple[Rule, ...] = (
    Rule("not_in_ims", _status(MatchStatus.MISSING_IN_IMS), NONE,
         pl.lit("in your books but not in IMS: ask the supplier to report it")),
    Rule("booked_twice", _status(MatchStatus.DUPLICATE), NONE,
         pl.lit("booked twice in your books: ") + pl.col("reason").fill_null("")),
    Rule("books_agree", _status(MatchStatus.EXACT), ACCEPT, pl.lit("IMS and your books agree")),
    Rule("books_agree_probably", _status(MatchStatus.PROBABLE), ACCEPT,
         pl.lit("your books agree (identity inferred: check the number)")),
    Rule("differs_keep_pending", _status(MatchStatus.MISMATCH) & ~_pending_blocked, PENDING,
         pl.lit("differs from your books (") + _diffs + pl.lit("): keep pending until resolved")),
    Rule("differs_import_accept", _status(MatchStatus.MISMATCH) & _import_of_goods, ACCEPT,
         pl.lit("differs from your books (") + _diffs + pl.lit("); import of goods cannot be rejected and Pending is blocked")),
    Rule("differs_reject", _status(MatchStatus.MISMATCH), REJECT,
         pl.lit("differs from your books (") + _diffs + pl.lit("); Pending is blocked for this record")),
    Rule("not_booked_pending", _status(MatchStatus.MISSING_IN_PR) & ~_pending_blocked, PENDING,
         pl.lit("not in your books: keep pending until booked or disputed")),
    Rule("not_booked_import_accept", _status(MatchStatus.MISSING_IN_PR) & _import_of_goods, ACCEPT,
         pl.lit("not in your books; import of goods cannot be rejected and Pending is blocked")),
    Rule("not_booked_reject", _status(MatchStatus.MISSING_IN_PR), REJECT,
         pl.lit("not in your books and Pending is blocked for this record")),
)


def recommend(result: pl.DataFrame, rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """Fill recommended_action, reason and recommendation_rule."""
    action = pl.lit(None, pl.String)
    reason = pl.lit(None, pl.String)
    name = pl.lit(None, pl.String)
    for rule in reversed(rules):
        action = pl.when(rule.when).then(pl.lit(rule.action)).otherwise(action)
        reason = pl.when(rule.when).then(rule.reason).otherwise(reason)
        name = pl.when(rule.when).then(pl.lit(rule.name)).otherwise(name)
    return result.with_columns(
        action.alias("recommended_action"), reason.alias("reason"), name.alias("recommendation_rule")
    )
