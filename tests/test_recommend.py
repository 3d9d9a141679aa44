"""The recommendation rules, each tried against the rows most likely to break it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsrecon.config import ConfigError
from imsrecon.recommend import RULES, recommend, rules_from_config, suggest_from_decisions
from imsrecon.result import conform_result

TODAY = dt.date(2025, 12, 1)


def row(status="missing_in_pr", section="b2b", blocked="N", period="112025", action="N", filed="Filed", **extra):
    base = {"match_status": status, "ims_section": section, "ims_ispendactblocked": blocked, "ims_tax_period": period,
            "ims_action": action, "ims_srcfilstatus": filed, "differences": "igst" if status == "mismatch" else None,
            "ims_doc_no": extra.pop("no", "D1"), "matching_key": extra.pop("key", "K1"),
            "ims_supplier_gstin": extra.pop("supplier", "27AAPFU0939F1ZV")}  # fmt: skip
    return base | extra


def rec(*rows, today=TODAY, rules=RULES) -> list[dict]:
    return recommend(conform_result(pl.DataFrame(list(rows))), rules, today=today).to_dicts()


def one(r, **kw) -> tuple[str, str, str]:
    out = rec(r, **kw)[0]
    return out["recommended_action"], out["recommendation_rule"], out["reason"]


# --- specified records (credit notes) -------------------------------------------------------


@pytest.mark.parametrize("section", ["b2bcn", "b2bcna", "CN"])
def test_credit_note_before_oct_2025_never_pending(section):
    assert one(row(section=section, period="092025"))[:2] == ("Reject", "credit_note_not_booked_reject")
    action, rule, reason = one(row("mismatch", section=section, period="092025"))
    assert (action, rule) == ("Accept", "credit_note_differs_accept")
    assert "before the Oct-2025 tax period" in reason and "ITC reduction will be declared" in reason


@pytest.mark.parametrize(
    ("period", "today", "pending"),
    [
        ("102025", dt.date(2025, 12, 20), True),  # last day of the window (3B due date of Nov-2025)
        ("102025", dt.date(2025, 12, 21), False),  # one day past
        ("102025", dt.date(2025, 11, 5), True),
        ("122025", dt.date(2026, 2, 20), True),  # across the year end
        ("122025", dt.date(2026, 2, 21), False),
        ("122025", dt.date(2027, 1, 1), False),
        ("", TODAY, False),  # unknown period: no Pending
        ("13-2025", TODAY, False),
        (None, TODAY, False),
    ],
)
def test_credit_note_pending_window(period, today, pending):
    for status in ("missing_in_pr", "mismatch"):
        action, rule, reason = one(row(status, section="b2bcn", period=period), today=today)
        if pending:
            assert action == "Pending", (status, rule)
        else:
            assert action == ("Reject" if status == "missing_in_pr" else "Accept")
            assert rule.startswith("credit_note_")
    if not pending and period == "102025":
        assert "window ended on 20-12-2025" in reason


def test_credit_note_blocked_inside_window_is_not_pending():
    assert one(row(section="b2bcn", blocked="Y", period="112025"))[:2] == ("Reject", "credit_note_not_booked_reject")


def test_invoices_are_not_specified_records():
    assert one(row(period="012024"))[:2] == ("Pending", "not_booked_pending")


@pytest.mark.parametrize("status", ["exact", "probable"])
def test_credit_note_books_agree_declares_the_reduction(status):
    action, rule, reason = one(row(status, section="b2bcn", period="012024"))
    assert (action, rule) == ("Accept", "credit_note_books_agree") and "ITC reduction will be declared" in reason
    assert "declared" not in one(row(status))[2]


def test_today_defaults_to_the_real_date():
    # Oct-2025 credit notes: their window closed on 20-12-2025, before the suite could run later
    out = recommend(conform_result(pl.DataFrame([row(section="b2bcn", period="102025")])))
    expected = "Pending" if dt.date.today() <= dt.date(2025, 12, 20) else "Reject"
    assert out["recommended_action"][0] == expected


# --- import of goods, blocked Pending -------------------------------------------------------


@pytest.mark.parametrize("section", ["impg", "impgsez", "IMPGA"])
@pytest.mark.parametrize("status", ["mismatch", "missing_in_pr"])
def test_import_of_goods_never_rejected(section, status):
    assert one(row(status, section=section, blocked="Y"))[0] == "Accept"
    assert one(row(status, section=section))[0] == "Pending"


# --- already actioned, supplier not filed ---------------------------------------------------


@pytest.mark.parametrize(("portal", "word"), [("A", "Accepted"), ("a", "Accepted"), ("P", "Pending")])
def test_already_actioned_the_same_way(portal, word):
    status = "exact" if word == "Accepted" else "missing_in_pr"
    assert one(row(status, action=portal)) == ("", "already_actioned", f"already {word} on the portal")


def test_already_actioned_differently_keeps_the_recommendation():
    action, rule, reason = one(row("exact", action="R"))
    assert (action, rule) == ("Accept", "books_agree") and reason.endswith("changes the portal action from Rejected")
    for none in ("N", None, "", "X"):
        assert one(row("exact", action=none))[:2] == ("Accept", "books_agree")


def test_register_only_rows_are_never_already_actioned():
    out = one(row("missing_in_ims", section=None, action=None, filed=None))
    assert out[:2] == ("", "not_in_ims") and "already" not in out[2]


@pytest.mark.parametrize("filed", ["Not Filed", "SAVED", "not filed"])
def test_supplier_not_filed_is_flagged_not_changed(filed):
    action, rule, reason = one(row("exact", filed=filed))
    assert (action, rule) == ("Accept", "books_agree")
    assert reason == "IMS and your books agree; the supplier has not filed this return yet"
    assert one(row("exact", filed=filed, action="A"))[2].endswith("; the supplier has not filed this return yet")


@pytest.mark.parametrize("filed", ["Filed", "FILED", " filed ", None, ""])
def test_filed_or_unknown_is_not_flagged(filed):
    assert "not filed" not in one(row("exact", filed=filed))[2]


# --- configuration ----------------------------------------------------------------------------


def test_overrides_change_and_disable_rules():
    rules = rules_from_config({"recommend": {"books_agree_probably": "Pending", "not_booked_pending": "off",
                                             "not_in_ims": "reject"}})  # fmt: skip
    assert one(row("probable"), rules=rules)[:2] == ("Pending", "books_agree_probably")
    assert one(row(), rules=rules)[:2] == ("Reject", "not_booked_reject")  # next rule applies
    assert "not_booked_pending" not in [r.name for r in rules]
    assert rules_from_config({}) == RULES and rules_from_config({"match": {}}) == RULES


def test_portal_rules_win_over_overrides():
    rules = rules_from_config({"recommend": {"not_booked_reject": "Pending", "not_booked_import_accept": "Reject",
                                             "differs_import_accept": "Reject", "books_agree": "Pending",
                                             "credit_note_not_booked_reject": "Pending"}})  # fmt: skip
    assert one(row(blocked="Y"), rules=rules)[:2] == ("Reject", "portal_no_pending")
    assert one(row("exact", blocked="Y"), rules=rules)[:2] == ("Accept", "portal_no_pending")
    assert one(row(section="impg", blocked="Y"), rules=rules)[:2] == ("Accept", "portal_no_reject_import")
    assert one(row("mismatch", section="impg", blocked="Y"), rules=rules)[:2] == ("Accept", "portal_no_reject_import")
    action, rule, reason = one(row(section="b2bcn", period="092025"), rules=rules)
    assert (action, rule) == ("Reject", "portal_no_pending") and "before the Oct-2025" in reason


@pytest.mark.parametrize(
    "table",
    [{"recommend": {"nope": "Accept"}}, {"recommend": {"books_agree": "Maybe"}}, {"recommend": {"books_agree": 1}},
     {"recommend": "Accept"}],
)  # fmt: skip
def test_bad_overrides_are_refused(table):
    with pytest.raises(ConfigError, match=r"\[recommend\]"):
        rules_from_config(table)


@settings(max_examples=80, deadline=None)
@given(
    overrides=st.dictionaries(st.sampled_from([r.name for r in RULES]),
                              st.sampled_from(["Accept", "Reject", "Pending", "", "off"])),
    rows=st.lists(st.tuples(st.sampled_from(["exact", "probable", "mismatch", "missing_in_pr"]),
                            st.sampled_from(["b2b", "b2bcn", "b2bcna", "impg", "b2bdn"]), st.sampled_from("YN"),
                            st.sampled_from(["092025", "102025", "112025", None])), min_size=1, max_size=8),
)  # fmt: skip
def test_no_override_breaks_a_portal_rule(overrides, rows):
    rules = rules_from_config({"recommend": overrides})
    out = rec(*(row(s, section=sec, blocked=b, period=p) for s, sec, b, p in rows), rules=rules,
              today=dt.date(2025, 12, 25))  # fmt: skip
    for r in out:
        if r["recommended_action"] == "Pending":
            assert r["ims_ispendactblocked"] == "N"
            assert r["ims_section"] not in ("b2bcn", "b2bcna") or r["ims_tax_period"] == "112025"
        if r["recommended_action"] == "Reject":
            assert r["ims_section"] != "impg"


# --- learning from decisions ------------------------------------------------------------------


def history(*decisions):
    rows = [{"matching_key": k, "action": a, "decided_at": dt.datetime(2025, 11, d), "supplier_gstin": s,
             "match_status": st_, "differences": diff} for k, a, d, s, st_, diff in decisions]  # fmt: skip
    return pl.DataFrame(rows)


S, T = "27AAPFU0939F1ZV", "29AAGCB1286Q1Z0"


def suggest(result_rows, hist):
    out = suggest_from_decisions(conform_result(pl.DataFrame(result_rows)), hist)
    return {r["matching_key"]: (r["suggested_action"], r["suggestion_reason"]) for r in out.iter_rows(named=True)}


def test_suggests_after_two_same_decisions():
    hist = history(("old1", "Reject", 1, S, "mismatch", "igst"), ("old2", "Reject", 2, S, "mismatch", "igst"))
    got = suggest([row("mismatch", key="new"), row("mismatch", key="other", supplier=T),
                   row("mismatch", key="diff", differences="cgst"), row("exact", key="ex")], hist)  # fmt: skip
    assert got["new"] == ("Reject", "suggested from your earlier decisions (2 times)")
    assert got["other"] == got["diff"] == got["ex"] == (None, None)


def test_no_suggestion_from_one_decision_or_mixed_decisions():
    one_only = history(("old1", "Reject", 1, S, "mismatch", "igst"))
    assert suggest([row("mismatch", key="new")], one_only)["new"] == (None, None)
    mixed = history(("o1", "Reject", 1, S, "mismatch", "igst"), ("o2", "Reject", 2, S, "mismatch", "igst"),
                    ("o3", "Accept", 3, S, "mismatch", "igst"))  # fmt: skip
    assert suggest([row("mismatch", key="new")], mixed)["new"] == (None, None)


def test_latest_decision_per_key_counts_and_decided_rows_get_none():
    hist = history(("o1", "Accept", 1, S, "missing_in_pr", None), ("o1", "Pending", 5, S, "missing_in_pr", None),
                   ("o2", "Pending", 2, S, "missing_in_pr", None))  # fmt: skip
    got = suggest([row(key="new"), row(key="o2"), row(key="blk", blocked="Y")], hist)
    assert got["new"] == ("Pending", "suggested from your earlier decisions (2 times)")
    assert got["o2"] == (None, None)  # already decided
    assert got["blk"] == (None, None)  # Pending is blocked there: never suggested


def test_suggestions_do_not_touch_the_recommendation():
    hist = history(("o1", "Reject", 1, S, "exact", None), ("o2", "Reject", 2, S, "exact", None))
    result = recommend(conform_result(pl.DataFrame([row("exact", key="new")])), today=TODAY)
    out = suggest_from_decisions(result, hist)
    assert out["recommended_action"].to_list() == ["Accept"] and out["suggested_action"].to_list() == ["Reject"]
    assert out.columns == [*result.columns, "suggested_action", "suggestion_reason"]


_ROW = st.fixed_dictionaries({
    "status": st.sampled_from(["exact", "probable", "mismatch", "missing_in_pr", "missing_in_ims", "duplicate"]),
    "section": st.sampled_from(["b2b", "b2bcn", "b2bcna", "impg", "CN", None]),
    "blocked": st.sampled_from(["Y", "N", "y", None]),
    "period": st.sampled_from(["092025", "102025", "112025", "", None]),
    "action": st.sampled_from(["N", "A", "R", "P", None]),
    "filed": st.sampled_from(["Filed", "Not filed", None]),
    "differences": st.sampled_from([None, "igst", "doc_date;taxable_value"]),
    "reason": st.sampled_from([None, "second booking of CN-1", "second booking of INV-9"]),
})


@settings(max_examples=40, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=40))
def test_deciding_each_combination_once_equals_deciding_each_row(rows):
    """recommend() decides each combination of the columns the rules read once and joins the
    answers back: the same answers, row for row and in order, as deciding every row."""
    from imsrecon.recommend import _recommend_rows

    frame = conform_result(pl.DataFrame([
        row(r["status"], r["section"], r["blocked"], r["period"], r["action"], r["filed"], key=f"K{i}",
            no=f"D{i}", differences=r["differences"], reason=r["reason"])
        for i, r in enumerate(rows)
    ]))  # fmt: skip
    overrides = rules_from_config({"recommend": {"differs_keep_pending": "Reject", "not_booked_pending": "off"}})
    for rules in (RULES, overrides):
        assert recommend(frame, rules, today=TODAY).equals(_recommend_rows(frame, rules, TODAY))
