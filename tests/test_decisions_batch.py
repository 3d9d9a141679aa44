"""Decisions recorded together are kept together: all of them, or none."""

from __future__ import annotations

import pytest

from imsrecon.store.workspace import Workspace


def test_record_decisions_is_one_transaction(tmp_path, monkeypatch):
    ws = Workspace.open(str(tmp_path / "ws.db"))
    ws.record_decisions([("K1", "Accept", None, None), ("K2", "Reject", "short supply", "why")], "tester", "cli")
    assert sorted(ws.latest_decisions()["matching_key"]) == ["K1", "K2"]
    assert ws.audit_log().filter(ws.audit_log()["event"] == "decision").height == 2

    calls = {"n": 0}
    original = Workspace._audit

    def failing(*args, **kwargs):  # the second decision's audit entry fails
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(Workspace, "_audit", staticmethod(failing))
    with pytest.raises(RuntimeError):
        ws.record_decisions([("K3", "Accept", None, None), ("K4", "Pending", None, None)], "tester", "cli")
    monkeypatch.undo()
    assert sorted(ws.latest_decisions()["matching_key"]) == ["K1", "K2"]  # neither K3 nor K4
    ws.close()


def test_a_bulk_decision_is_all_or_nothing(tmp_path, monkeypatch):
    """decide --all-recommended fails on its 3rd audit entry: no decision of the batch is kept; run
    again, it records every one (none was left behind as "already decided")."""
    import polars as pl

    from imsrecon.result import conform_result
    from imsrecon.workflow_decisions import decide_recommended

    result = conform_result(pl.DataFrame([
        {"matching_key": f"IMS/B2B/K{i}", "match_status": "exact", "ims_section": "b2b", "recommended_action": "Accept"}
        for i in range(5)]))  # fmt: skip
    ws = Workspace.open(str(tmp_path / "ws.db"))
    ws.record_run({"match": {}}, [], [], result)
    calls = {"n": 0}
    original = Workspace._audit

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(Workspace, "_audit", staticmethod(failing))
    with pytest.raises(RuntimeError):
        decide_recommended(ws)
    monkeypatch.undo()
    assert ws.latest_decisions().height == 0
    out = decide_recommended(ws)
    assert (out.applied, out.unchanged) == (5, 0) and ws.latest_decisions().height == 5
    ws.close()
