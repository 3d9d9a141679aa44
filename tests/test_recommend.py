"""The recommendation rules, each tried against the rows most likely to break it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsrecon.config import ConfigError, FilingConfig
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
    "differences": st.sampled_from([None, "igst", "doc_date;taxable_value", "doc_date", "taxable_value"]),
    "reason": st.sampled_from([None, "second booking of CN-1", "second booking of INV-9"]),
    "itc": st.sampled_from([None, "Y", "N", "T"]),
    "side": st.sampled_from(["ims", "gstr2b", None]),
    "rcm": st.booleans(),
    "recipient": st.sampled_from(["27AAPFU0939F1ZV", "07AAPFU0939F1ZX"]),
    "two_b": st.sampled_from([None, "102025", "122025"]),
    "gap": st.sampled_from([0, 2, 12, 40]),
})


@settings(max_examples=40, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=40))
def test_deciding_each_combination_once_equals_deciding_each_row(rows):
    """recommend() decides each combination of the columns the rules read once and joins the
    answers back: the same answers, row for row and in order, as deciding every row."""
    from imsrecon.recommend import _recommend_rows

    frame = conform_result(pl.DataFrame([
        row(r["status"], r["section"], r["blocked"], r["period"], r["action"], r["filed"], key=f"K{i}",
            no=f"D{i}", differences=r["differences"], reason=r["reason"], itc_availability=r["itc"],
            ims_side=r["side"], reverse_charge=r["rcm"], recipient_gstin=r["recipient"], gstr2b_period=r["two_b"],
            ims_doc_date=dt.date(2025, 10, 25), pr_doc_date=dt.date(2025, 10, 25) + dt.timedelta(r["gap"]))
        for i, r in enumerate(rows)
    ]))  # fmt: skip
    overrides = rules_from_config({"recommend": {"differs_keep_pending": "Reject", "not_booked_pending": "off"}})
    filing = FilingConfig.from_dict({"07AAPFU0939F1ZX": "quarterly"})
    for rules in (RULES, overrides):
        assert recommend(frame, rules, today=TODAY, filing=filing).equals(_recommend_rows(frame, rules, TODAY, filing))


# --- GSTR-2B's ITC availability ----------------------------------------------------------------


def itc(status="exact", avl="N", rsn=None, pct=None, **kw):
    return row(status, itc_availability=avl, itc_reason=rsn, applicable_pct=pct, **kw)


@pytest.mark.parametrize(
    ("r", "action", "rule", "words"),
    [
        (itc(rsn="P"), "Pending", "itc_not_available", "no ITC available on it (the place of supply is the supplier's"),
        (itc("probable", rsn="c"), "Pending", "itc_not_available", "after the section 16(4) time limit"),
        (itc(avl="T"), "Pending", "itc_not_available", "ITC as temporarily not available"),
        (itc(avl="No", rsn="Supplier cancelled"), "Pending", "itc_not_available", "(Supplier cancelled)"),
        (itc(avl="false"), "Pending", "itc_not_available", "no ITC available on it:"),
        (itc(blocked="Y", rsn="P"), "Accept", "itc_not_available_accept", "accept it, and claim no ITC for it"),
        (itc(section="impg", blocked="Y"), "Accept", "itc_not_available_accept", "claim no ITC"),
        # a mismatch: pending where allowed; where blocked, only a difference that changes no ITC is accepted
        (itc("mismatch", differences="igst"), "Pending", "itc_not_available", "differs from your books (igst), but"),
        (itc("mismatch", blocked="Y", differences="igst"), "Reject", "differs_reject", "; GSTR-2B shows no ITC"),
        (itc("mismatch", blocked="Y", differences="taxable_value"), "Accept", "itc_not_available_accept", "claim no"),
        (itc("missing_in_pr"), "Pending", "not_booked_pending", "; GSTR-2B shows no ITC available on it"),
        (itc("missing_in_pr", blocked="Y"), "Reject", "not_booked_reject", "; GSTR-2B shows no ITC available on it"),
        # already accepted: stays accepted, and says so
        (itc(action="A", rsn="P"), "", "already_actioned", "already Accepted on the portal; IMS and your books agree; "
                                                            "GSTR-2B shows no ITC"),
        # a credit note gives no ITC to claim: its own rules, with GSTR-2B's words
        (itc(section="b2bcn", period="012024"), "Accept", "credit_note_books_agree", "on acceptance; GSTR-2B shows no ITC"),
    ],
)  # fmt: skip
def test_itc_not_available_is_never_a_silent_accept(r, action, rule, words):
    got = one(r)
    assert got[:2] == (action, rule) and words in got[2], got


@pytest.mark.parametrize("avl", ["Y", "Yes", "true", None, "", "?"])
def test_itc_available_or_unknown_changes_nothing(avl):
    assert one(itc(avl=avl)) == ("Accept", "books_agree", "IMS and your books agree")


@pytest.mark.parametrize(
    ("pct", "words"),
    [(65.0, "; tax at 65% of the rate (GSTR-2B)"), (0.65, "; tax at 65% of the rate (GSTR-2B)"),
     (99.5, "; tax at 99.5% of the rate (GSTR-2B)"), (100.0, None), (1.0, None), (None, None), (0.0, None)],
)  # fmt: skip
def test_applicable_percentage_below_100_is_in_the_reason(pct, words):
    reason = one(itc(avl="Y", pct=pct))[2]
    assert reason == "IMS and your books agree" + (words or "")


@settings(max_examples=60, deadline=None)
@given(
    overrides=st.dictionaries(st.sampled_from([r.name for r in RULES]),
                              st.sampled_from(["Accept", "Reject", "Pending", "", "off"])),
    rows=st.lists(st.tuples(st.sampled_from(["exact", "probable", "mismatch", "missing_in_pr"]),
                            st.sampled_from(["b2b", "b2bcn", "impg"]), st.sampled_from("YN"),
                            st.sampled_from(["N", "T", "no"]), st.sampled_from(["N", "A"])), min_size=1, max_size=8),
)  # fmt: skip
def test_no_override_makes_an_accept_without_itc_silent(overrides, rows):
    rules = rules_from_config({"recommend": overrides})
    out = rec(*(itc(s, avl, section=sec, blocked=b, action=a) for s, sec, b, avl, a in rows), rules=rules)
    for r in out:
        assert "ITC" in r["reason"], r


# --- the Pending window of specified records: the 2B period and the filing frequency -------------

Q22, Q24 = "27AAPFU0939F1ZV", "07AAPFU0939F1ZX"  # Maharashtra files quarterly on the 22nd, Delhi on the 24th


@pytest.mark.parametrize(
    ("two_b", "supplier", "today", "pending"),
    [
        ("102025", "112025", dt.date(2025, 12, 20), True),  # the 2B period, not the supplier's, runs the window
        ("102025", "112025", dt.date(2025, 12, 21), False),
        ("112025", "102025", dt.date(2026, 1, 20), True),
        ("112025", "092025", dt.date(2025, 12, 1), True),  # a 2B period from Oct-2025 on: Pending allowed
        ("092025", "102025", dt.date(2025, 11, 1), False),  # 2B period before Oct-2025
        ("", "102025", dt.date(2025, 12, 20), True),  # no 2B period: the supplier's stands in
        (None, "102025", dt.date(2025, 12, 21), False),
        ("13-2025", "102025", dt.date(2025, 12, 1), False),  # unreadable 2B period: no Pending
    ],
)  # fmt: skip
def test_window_runs_from_the_2b_period(two_b, supplier, today, pending):
    got = one(row(section="b2bcn", period=supplier, gstr2b_period=two_b), today=today)
    assert got[0] == ("Pending" if pending else "Reject"), got


@pytest.mark.parametrize(
    ("recipient", "two_b", "today", "pending"),
    [
        (Q22, "102025", dt.date(2026, 4, 22), True),  # Oct-Dec: until the 3B of Jan-Mar, 22 April
        (Q22, "102025", dt.date(2026, 4, 23), False),
        (Q22, "122025", dt.date(2026, 4, 22), True),  # the last month of the quarter: the same day
        (Q22, "012026", dt.date(2026, 7, 22), True),
        (Q22, "012026", dt.date(2026, 7, 23), False),
        (Q24, "102025", dt.date(2026, 4, 24), True),  # Delhi: the 24th
        (Q24, "102025", dt.date(2026, 4, 25), False),
        (Q24, "032026", dt.date(2026, 7, 24), True),  # across the financial year
    ],
)  # fmt: skip
def test_quarterly_filers_keep_pending_one_quarter(recipient, two_b, today, pending):
    filing = FilingConfig("quarterly")
    out = recommend(conform_result(pl.DataFrame([row(section="b2bcn", gstr2b_period=two_b, recipient_gstin=recipient)])),
                    today=today, filing=filing).row(0, named=True)
    assert out["recommended_action"] == ("Pending" if pending else "Reject"), out
    if not pending:
        day = 22 if recipient == Q22 else 24
        assert f"one-quarter Pending window ended on {day}-" in out["reason"]


def test_filing_frequency_per_recipient_gstin():
    filing = FilingConfig.from_dict({"default": "monthly", Q24.lower(): "QRMP"})
    rows = [row(section="b2bcn", gstr2b_period="102025", recipient_gstin=g, key=g) for g in (Q22, Q24)]
    out = recommend(conform_result(pl.DataFrame(rows)), today=dt.date(2026, 1, 5), filing=filing)
    got = dict(zip(out["recipient_gstin"], zip(out["recommended_action"], out["reason"], strict=True), strict=True))
    assert got[Q24][0] == "Pending"  # quarterly: until 24-04-2026
    assert got[Q22] == ("Reject", "not in your books; its one-period Pending window ended on 20-12-2025: reject")


@pytest.mark.parametrize(
    ("table", "message"),
    [({"default": "weekly"}, 'default must be "monthly" or "quarterly"'),
     ({"27AAPFU0939F1ZA": "quarterly"}, "check character should be V"),
     ({"Maharashtra": "quarterly"}, "neither 'default' nor a GSTIN"),
     ({"default": True}, 'must be "monthly" or "quarterly"'),
     ("quarterly", "must be a table")],
)  # fmt: skip
def test_bad_filing_settings_are_refused(table, message):
    with pytest.raises(ConfigError, match=r"\[filing\]") as err:
        FilingConfig.from_dict(table, "s.toml")
    assert message in str(err.value)


def test_filing_settings_from_the_settings_file(tmp_path):
    from imsrecon.config import MatchConfig

    path = tmp_path / "s.toml"
    path.write_text('tolerance_rupees = 5\n\n[filing]\ndefault = "quarterly"\n"07AAPFU0939F1ZX" = "monthly"\n')
    filing = FilingConfig.load(path)
    assert filing.to_dict() == {"default": "quarterly", Q24: "monthly"}
    assert (filing.frequency(Q22), filing.frequency(Q24), filing.frequency(None)) == ("quarterly", "monthly", "quarterly")
    assert MatchConfig.load(path).tolerance_rupees == 5.0  # [filing] is not read as a [match] setting
    (tmp_path / "none.toml").write_text("[match]\n")
    assert FilingConfig.load(tmp_path / "none.toml") == FilingConfig()


# --- recommendations that change no ITC -----------------------------------------------------------


def dated(ims_date, pr_date, differences="doc_date", status="mismatch", **kw):
    return row(status, differences=differences, ims_doc_date=dt.date.fromisoformat(ims_date),
               pr_doc_date=dt.date.fromisoformat(pr_date), **kw)


@pytest.mark.parametrize(
    ("r", "action", "rule"),
    [
        (dated("2025-04-05", "2025-04-15"), "Accept", "doc_date_only_accept"),  # 10 days: the window's edge
        (dated("2025-04-15", "2025-04-05"), "Accept", "doc_date_only_accept"),  # either way round
        (dated("2025-04-05", "2025-04-16"), "Pending", "differs_keep_pending"),  # 11 days
        (dated("2025-03-31", "2025-04-01"), "Pending", "differs_keep_pending"),  # 31 March: another year
        (dated("2025-04-30", "2025-05-02"), "Pending", "differs_keep_pending"),  # another period, same year
        (dated("2025-04-05", "2025-04-07", "doc_date;igst"), "Pending", "differs_keep_pending"),  # plus ₹1 beyond
        (dated("2025-04-05", "2025-04-07", "doc_date;taxable_value"), "Pending", "differs_keep_pending"),
        (dated("2025-04-05", "2025-04-07", blocked="Y"), "Accept", "doc_date_only_accept"),
        (dated("2025-04-05", "2025-04-07", section="impg"), "Accept", "doc_date_only_accept"),
        (dated("2025-04-05", None or "2025-04-05", "doc_date"), "Accept", "doc_date_only_accept"),
    ],
)  # fmt: skip
def test_only_the_date_differs(r, action, rule):
    got = one(r)
    assert got[:2] == (action, rule), got
    if rule == "doc_date_only_accept":
        assert got[2] == ("only the document date differs from your books, in the same tax period: accept, and "
                          "correct the date in your books")  # fmt: skip


def test_date_window_follows_the_match_setting():
    r = conform_result(pl.DataFrame([dated("2025-04-05", "2025-04-12")]))
    assert recommend(r, today=TODAY)["recommendation_rule"][0] == "doc_date_only_accept"
    assert recommend(r, today=TODAY, date_window_days=6)["recommendation_rule"][0] == "differs_keep_pending"


def test_credit_note_whose_date_alone_differs_declares_the_reduction():
    got = one(dated("2025-11-05", "2025-11-07", section="b2bcn", period="112025"))
    assert got[:2] == ("Accept", "doc_date_only_accept") and got[2].endswith("; " + "the ITC reduction will be declared "
                                                                                  "on acceptance")


@pytest.mark.parametrize(
    ("differences", "ims_date", "pr_date", "action", "rule"),
    [
        ("taxable_value", "2025-04-05", "2025-04-05", "", "already_actioned"),
        ("doc_date", "2025-03-31", "2025-04-02", "", "already_actioned"),  # across the year: still no ITC change
        ("doc_date;taxable_value", "2025-04-05", "2025-04-20", "", "already_actioned"),
        ("doc_date", "2025-04-05", "2025-04-07", "", "already_actioned"),  # the date rule, already accepted
        ("igst", "2025-04-05", "2025-04-05", "Pending", "differs_keep_pending"),  # the tax: ITC changes
        ("taxable_value;cgst", "2025-04-05", "2025-04-05", "Pending", "differs_keep_pending"),
        ("supplier_gstin", "2025-04-05", "2025-04-05", "Pending", "differs_keep_pending"),
        ("place_of_supply", "2025-04-05", "2025-04-05", "Pending", "differs_keep_pending"),
    ],
)  # fmt: skip
def test_already_accepted_is_not_moved_to_pending_for_what_changes_no_itc(differences, ims_date, pr_date, action, rule):
    got = one(dated(ims_date, pr_date, differences, action="A"))
    assert got[:2] == (action, rule), got
    if action == "":
        assert got[2].startswith("already Accepted on the portal; ") and "correct" in got[2]
    else:
        assert got[2].endswith("changes the portal action from Accepted")


def test_not_accepted_taxable_value_difference_stays_pending():
    assert one(dated("2025-04-05", "2025-04-05", "taxable_value"))[:2] == ("Pending", "differs_keep_pending")


@pytest.mark.parametrize(
    ("differences", "within"),
    [("doc_date", True), ("taxable_value;doc_date", True), ("", False), (None, False), ("igst", False),
     ("doc_date;cess", False), ("doc_date;", True)],
)  # fmt: skip
def test_differences_within_what_changes_no_itc(differences, within):
    from imsrecon.recommend_facts import NO_ITC_CHANGE, differences_within

    frame = pl.DataFrame({"differences": [differences]}, schema={"differences": pl.String})
    assert frame.select(differences_within(NO_ITC_CHANGE)).item() is within


# --- documents that do not pass through IMS --------------------------------------------------------


def statement(status="exact", side="gstr2b", rcm=False, recipient=Q22, **kw):
    return row(status, action=None, filed=None, blocked=None, ims_side=side, reverse_charge=rcm,
               recipient_gstin=recipient, **kw)


def test_statement_documents_outside_ims_get_no_action():
    rows = [
        statement(key="rcm", rcm=True),  # reverse charge: never in IMS, even without an IMS download
        statement("missing_in_pr", key="rcm2", rcm=True, side="gstr2a"),
        statement(key="plain"),  # a 2B record, no IMS download of this recipient: it was in IMS
        statement("missing_in_pr", key="other", recipient=Q24),
        row("missing_in_pr", key="ims", ims_side="ims", recipient_gstin=Q24),  # Q24 gave an IMS download
    ]
    got = {r["matching_key"]: (r["recommended_action"], r["recommendation_rule"], r["reason"]) for r in rec(*rows)}
    assert got["rcm"] == ("", "outside_ims", "in GSTR-2B under reverse charge, which never passes through IMS: "
                                             "nothing to do in IMS; your books agree")  # fmt: skip
    assert got["rcm2"][:2] == ("", "outside_ims") and got["rcm2"][2].startswith("in GSTR-2A under reverse charge")
    assert got["rcm2"][2].endswith("not in your books: book it or ask the supplier")
    assert got["plain"][:2] == ("Accept", "books_agree")
    assert got["other"] == ("", "outside_ims", "in GSTR-2B but not in the IMS download: nothing to do in IMS; not in "
                                               "your books: book it or ask the supplier")  # fmt: skip
    assert got["ims"][:2] == ("Pending", "not_booked_pending")


def test_an_override_cannot_act_on_a_document_outside_ims():
    rules = rules_from_config({"recommend": {"outside_ims": "Accept"}})
    got = one(statement("mismatch", rcm=True, differences="igst"), rules=rules)
    assert got[:2] == ("", "portal_outside_ims") and got[2].endswith("; but it is not in IMS: nothing to do there")
