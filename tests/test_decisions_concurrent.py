"""Two identical bulk decisions at once, in two processes on one workspace file: every decision
is recorded once (the "already decided" check is made inside the write transaction)."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.demo.generator import generate
from imsrecon.store.schema import audit_log, decisions
from imsrecon.store.workspace import Workspace

R = "27AAPFU0939F1ZV"


def _decide_all_recommended(db: str, barrier, results) -> None:  # noqa: ANN001 - multiprocessing objects
    """In a child process: open the workspace, wait for the other process, decide."""
    from imsrecon.workflow_decisions import decide_recommended

    with Workspace.open(db) as ws:
        barrier.wait(timeout=120)
        out = decide_recommended(ws, by=mp.current_process().name)
        results.put((out.applied, out.unchanged, out.refused))


def test_two_bulk_decisions_at_once_record_each_decision_once(tmp_path: Path) -> None:
    paths = generate(n_ims=2500, seed=11, recipient_gstin=R, layout="tally").write(tmp_path / "in", pr_format="csv")
    db = str(tmp_path / "ws.db")
    done = CliRunner().invoke(app, ["reconcile", "--ims", str(paths["ims"]), "--pr", str(paths["pr"]), "--gstin", R,
                                    "--db", db])
    assert done.exit_code == 0, done.output
    with Workspace.open(db) as ws:
        documents = ws.load_result().filter(pl.col("recommended_action").fill_null("") != "").height
    assert documents > 2000

    ctx = mp.get_context("spawn")  # no fork of a process that runs Polars' threads
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_decide_all_recommended, args=(db, barrier, results), name=f"p{n}") for n in (1, 2)]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    with Workspace.open(db) as ws, ws._engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(decisions)).scalar()
        keys = conn.execute(select(func.count(func.distinct(decisions.c.matching_key)))).scalar()
        audited = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.event == "decision")).scalar()
    assert rows == keys == audited == documents  # not twice
    # one batch is all or nothing: one process recorded every decision, the other found them all made
    assert outcomes == [(0, documents, 0), (documents, 0, 0)]
