"""Decisions recorded together are kept together: all of them, or none."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from imsrecon.store.workspace import Workspace


def _fail_audit_after(ws: Workspace, n: int) -> None:
    """Make the database refuse any audit entry of a decision once ``n`` are stored (a real
    failure in the middle of a write, not a stand-in for our code)."""
    with ws._engine.begin() as conn:
        conn.execute(text(f"CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.event = 'decision' AND "
                          f"(SELECT count(*) FROM audit_log WHERE event = 'decision') >= {n} "
                          "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))


def _heal(ws: Workspace) -> None:
    with ws._engine.begin() as conn:
        conn.execute(text("DROP TRIGGER fail_audit"))


def test_record_decisions_is_one_transaction(tmp_path):
    ws = Workspace.open(str(tmp_path / "ws.db"))
    ws.record_decisions([("K1", "Accept", None, None), ("K2", "Reject", "short supply", "why")], "tester", "cli")
    assert sorted(ws.latest_decisions()["matching_key"]) == ["K1", "K2"]
    assert ws.audit_log().filter(ws.audit_log()["event"] == "decision").height == 2

    _fail_audit_after(ws, 3)  # the second decision's audit entry of the next batch fails
    with pytest.raises(DBAPIError, match="disk full"):
        ws.record_decisions([("K3", "Accept", None, None), ("K4", "Pending", None, None)], "tester", "cli")
    _heal(ws)
    assert sorted(ws.latest_decisions()["matching_key"]) == ["K1", "K2"]  # neither K3 nor K4
    assert ws.audit_log().filter(ws.audit_log()["event"] == "decision").height == 2
    ws.close()


def test_a_batch_audits_each_decision_with_the_one_before(tmp_path):
    ws = Workspace.open(str(tmp_path / "ws.db"))
    [first] = ws.record_decisions([("K1", "Accept", None, "r1")], "asha", "cli")
    ids = ws.record_decisions([("K1", "Reject", "late", "r2"), ("K2", "Pending", None, None),
                               ("K1", "Pending", "wait", "r3")], "ravi", "xlsx", None)  # fmt: skip
    assert ids == [first + 1, first + 2, first + 3]
    import json

    log = ws.audit_log().filter(pl.col("event") == "decision").to_dicts()
    old = [json.loads(e["old_value"]) if e["old_value"] else None for e in log]
    new = [json.loads(e["new_value"]) for e in log]
    assert [(o and o["id"], n["id"], n["action"]) for o, n in zip(old, new, strict=True)] == [
        (None, first, "Accept"), (first, first + 1, "Reject"), (None, first + 2, "Pending"),
        (first + 1, first + 3, "Pending")]  # the repeat of K1 in the batch names the batch's own K1
    assert [e["reason"] for e in log] == ["r1", "r2", None, "r3"] and {e["actor"] for e in log[1:]} == {"ravi"}
    ws.close()


def test_a_bulk_decision_is_all_or_nothing(tmp_path):
    """decide --all-recommended fails on its 3rd audit entry: no decision of the batch is kept; run
    again, it records every one (none was left behind as "already decided")."""
    from imsrecon.result import conform_result
    from imsrecon.workflow_decisions import decide_recommended

    result = conform_result(pl.DataFrame([
        {"matching_key": f"IMS/B2B/K{i}", "match_status": "exact", "ims_section": "b2b", "recommended_action": "Accept"}
        for i in range(5)]))  # fmt: skip
    ws = Workspace.open(str(tmp_path / "ws.db"))
    ws.record_run({"match": {}}, [], [], result)
    _fail_audit_after(ws, 2)
    with pytest.raises(DBAPIError, match="disk full"):
        decide_recommended(ws)
    _heal(ws)
    assert ws.latest_decisions().height == 0
    out = decide_recommended(ws)
    assert (out.applied, out.unchanged) == (5, 0) and ws.latest_decisions().height == 5
    ws.close()
