"""Every path a user gives to be read is refused before reading when it is not a regular file:
a FIFO (reading one waits for a writer forever), a device, a symbolic link to /dev/zero (reading
one never ends). Each case runs under an alarm, so that a hang fails the test instead of the run."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.importers.base import ImportOptions, check_size, file_problem, sha256_of
from imsrecon.importers.registry import detect
from imsrecon.issues import InputFileError
from imsrecon.store.dialect import TargetError, resolve_url

DATA = Path(__file__).parent / "data"
IMS = DATA / "ims" / "ims_portal.json"
TALLY = DATA / "registers" / "tally_title_rows.xlsx"
runner = CliRunner()

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(),
                                reason="FIFOs and /dev/zero are POSIX")


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    def hung(*_: object) -> None:
        raise TimeoutError("the command waited on a path that is not a regular file")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(params=["fifo", "dev_zero_link", "dev_zero"])
def special(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "fifo":
        path = tmp_path / "download.json"
        os.mkfifo(path)
        return path
    if request.param == "dev_zero_link":
        path = tmp_path / "books.xlsx"
        path.symlink_to("/dev/zero")
        return path
    return Path("/dev/zero")


def _args(case: str, bad: Path, tmp_path: Path) -> list[str]:
    db = str(tmp_path / "ws.db")
    return {
        "import": ["import", str(bad), "--db", db],
        "reconcile --ims": ["reconcile", "--ims", str(bad), "--pr", str(TALLY), "--db", db],
        "reconcile --pr": ["reconcile", "--ims", str(IMS), "--pr", str(bad), "--db", db],
        "--mapping": ["reconcile", "--ims", str(IMS), "--pr", str(TALLY), "--mapping", str(bad), "--db", db],
        "--config": ["reconcile", "--ims", str(IMS), "--pr", str(TALLY), "--config", str(bad), "--db", db],
        "decide --from": ["decide", "--from", str(bad), "--db", db],
        "upload-status --from": ["upload-status", "--from", str(bad), "--db", db],
    }[case]


@pytest.mark.parametrize("case", ["import", "reconcile --ims", "reconcile --pr", "--mapping", "--config",
                                  "decide --from", "upload-status --from"])
def test_cli_refuses_what_is_not_a_regular_file(case: str, special: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, _args(case, special, tmp_path), env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "not a saved file: refused before reading" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "ws.db").exists()  # refused before the workspace was even opened


def test_importer_checks_refuse_before_reading(special: Path) -> None:
    problem = file_problem(special)
    assert problem is not None and problem.startswith("is a ") and "refused before reading" in problem
    for check in (lambda: detect(special), lambda: sha256_of(special),
                  lambda: check_size(special, ImportOptions())):
        with pytest.raises(InputFileError) as err:
            check()
        assert err.value.file == special.name and "refused before reading" in err.value.reason


def test_regular_files_and_links_to_them_are_read(tmp_path: Path) -> None:
    link = tmp_path / "ims.json"
    link.symlink_to(IMS)
    assert file_problem(link) is None and file_problem(IMS) is None
    assert sha256_of(link) == sha256_of(IMS)
    assert file_problem(tmp_path) == "is a folder, not a file"
    assert file_problem(tmp_path / "missing.json") == "file not found"


def test_a_workspace_path_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "ws.db"
    os.mkfifo(fifo)
    with pytest.raises(TargetError, match="not a regular file"):
        resolve_url(str(fifo))
    result = runner.invoke(app, ["import", str(TALLY), "--db", str(fifo)])
    assert result.exit_code == 1 and "not a regular file" in result.output
