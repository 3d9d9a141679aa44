"""Decisions on IMS documents: a user's action for a matching key, kept apart from the
recommendation (pure: no I/O).

A decision is one of Accept, Reject, Pending or No action (going back to N on the portal; the
upload sends it as a RESET). :func:`validate` checks proposed decisions against a run's result
rows and returns every failure as a :class:`DecisionProblem` value (never an exception):

* ``unknown_key``: no result row has the matching key;
* ``unknown_action``: the action is not one of Accept, Reject, Pending, No action;
* ``register_only``: the row is register-only (missing in IMS, duplicate, other period): nothing to
  act on in IMS;
* ``key_repeated``: the same key is given again with another decision;
* the portal's own rules, checked by :func:`imsrecon.exporters.upload.action_problems` (the rules
  an upload is checked against; domain doc §4): ``pending_blocked`` (Pending where
  ``ispendactblocked`` is Y), ``reject_import_of_goods`` (Reject on import of goods),
  ``remarks_too_long`` (more than :data:`imsrecon.exporters.upload.MAX_REMARKS` characters) and
  ``remarks_not_allowed`` (remarks go with Reject or Pending; the upload sends a decision's
  remarks, and the portal refuses them on a plain Accept or on No action).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from imsrecon.exporters.upload import action_problems
from imsrecon.result import MatchStatus
from imsrecon.sections import ACTION_CODES

ACCEPT, REJECT, PENDING, NO_ACTION = "Accept", "Reject", "Pending", "No action"
DECISION_ACTIONS = (ACCEPT, REJECT, PENDING, NO_ACTION)
# every spelling a user may give -> the decision's word
_SPELLINGS = {
    **{a.lower(): a for a in DECISION_ACTIONS},
    "none": NO_ACTION, "no_action": NO_ACTION, "no-action": NO_ACTION, "noaction": NO_ACTION,
}  # fmt: skip
REGISTER_ONLY = (MatchStatus.MISSING_IN_IMS.value, MatchStatus.DUPLICATE.value, MatchStatus.OTHER_PERIOD.value)
# the result columns a check needs
ROW_COLUMNS = ("matching_key", "match_status", "ims_section", "ims_ispendactblocked")


def parse_action(value: Any) -> str | None:
    """The decision's word for an action as a user writes it (any case; ``none`` is No action),
    or None when it is not one."""
    if not isinstance(value, str):
        return None
    return _SPELLINGS.get(" ".join(value.split()).lower())


def action_code(action: str) -> str:
    """The portal's code (A/R/P/N) of a decision's word."""
    return ACTION_CODES[action.lower()]


def clean_remarks(remarks: str | None) -> str | None:
    """Remarks as stored: None when blank."""
    return remarks if remarks is not None and remarks.strip() else None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A decision someone asks for. ``remarks`` None means "not given" (a blank text means
    "no remarks"); ``sheet``/``row`` say where it came from in a workbook (row as Excel shows it)."""

    key: str
    action: str
    remarks: str | None = None
    sheet: str | None = None
    row: int | None = None
    note: str | None = None  # why, for the audit log (e.g. the recommendation's rule)

    @property
    def decision(self) -> str | None:
        return parse_action(self.action)

    @property
    def where(self) -> str:
        if self.sheet is None:
            return "" if self.row is None else f"row {self.row}"
        return f"[{self.sheet}]" + ("" if self.row is None else f" row {self.row}")


@dataclass(frozen=True, slots=True)
class DecisionProblem:
    """Why a proposed decision is refused: where it came from, its key, the rule and the reason."""

    sheet: str | None
    row: int | None
    key: str
    rule: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "key": self.key, "rule": self.rule, "reason": self.reason}

    def __str__(self) -> str:
        where = Proposal(self.key, "", sheet=self.sheet, row=self.row).where
        return f"{where + ', ' if where else ''}key {self.key or '(blank)'}: {self.reason}"


def check(proposal: Proposal, row: Mapping[str, Any] | None) -> list[DecisionProblem]:
    """The problems of one proposed decision against its result row (None: no such key)."""

    def problem(rule: str, reason: str) -> DecisionProblem:
        return DecisionProblem(proposal.sheet, proposal.row, proposal.key, rule, reason)

    out: list[DecisionProblem] = []
    if row is None:
        reason = "no matching key on this row" if not proposal.key else "no document with this matching key in the run"
        out.append(problem("unknown_key", reason))
    action = proposal.decision
    if action is None:
        out.append(problem("unknown_action",
                           f"action {proposal.action!r} is not one of {', '.join(DECISION_ACTIONS)}"))  # fmt: skip
    if row is None:
        return out
    if row.get("match_status") in REGISTER_ONLY:
        out.append(problem("register_only", f"a register-only row ({row.get('match_status')}): "
                           "nothing to act on in IMS"))  # fmt: skip
        return out
    if action is None:
        return out
    remarks = clean_remarks(proposal.remarks)
    for rule, reason in action_problems(action_code(action), row.get("ims_section"),
                                        row.get("ims_ispendactblocked"), remarks):  # fmt: skip
        out.append(problem(rule, reason))
    return out


def rows_by_key(result: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """The result rows a check needs, by matching key."""
    cols = [c for c in ROW_COLUMNS if c in result.columns]
    return {r["matching_key"]: r for r in result.select(cols).iter_rows(named=True) if r["matching_key"]}


def validate(proposals: Sequence[Proposal], rows: Mapping[str, Mapping[str, Any]]) -> list[list[DecisionProblem]]:
    """The problems of each proposal (an empty list: it may be applied), in order. ``rows`` is
    :func:`rows_by_key` of the run's result. A key given again with another decision (action or
    remarks) is refused on its later rows; given again alike, it is fine (applied once)."""
    first: dict[str, Proposal] = {}
    out = []
    for p in proposals:
        problems = check(p, rows.get(p.key))
        seen = first.get(p.key)
        if seen is None:
            first[p.key] = p
        elif (seen.decision, clean_remarks(seen.remarks)) != (p.decision, clean_remarks(p.remarks)):
            where = seen.where or "earlier"
            problems.append(DecisionProblem(p.sheet, p.row, p.key, "key_repeated",
                                            f"the key is given again ({where}) with another decision"))  # fmt: skip
        out.append(problems)
    return out


def is_unchanged(proposal: Proposal, latest: Mapping[str, Any] | None) -> bool:
    """Would the proposal change nothing? True when the latest decision for its key has the same
    action and the proposal's remarks are not given or equal to the stored ones."""
    if latest is None or latest.get("action") != proposal.decision:
        return False
    return proposal.remarks is None or clean_remarks(proposal.remarks) == clean_remarks(latest.get("remarks"))


def recommended(rows: Iterable[Mapping[str, Any]]) -> list[Proposal]:
    """Each row's recommended action as a proposal, where it is not empty."""
    return [
        Proposal(r["matching_key"], r["recommended_action"], note=f"recommended ({r.get('recommendation_rule')})")
        for r in rows
        if r.get("recommended_action")
    ]


__all__ = [
    "ACCEPT", "DECISION_ACTIONS", "NO_ACTION", "PENDING", "REGISTER_ONLY", "REJECT",
    "DecisionProblem", "Proposal", "action_code", "check", "clean_remarks", "is_unchanged", "parse_action",
    "recommended", "rows_by_key", "validate",
]  # fmt: skip
