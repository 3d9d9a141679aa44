"""The `imsrecon` command line: parses arguments, calls imsrecon.workflow, renders the answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from imsrecon import __version__
from imsrecon.cli import render
from imsrecon.config import ConfigError
from imsrecon.importers.base import ImportOptions
from imsrecon.issues import InputFileError
from imsrecon.store.dialect import WorkspaceError
from imsrecon.workflow_inputs import RecipientGstinError

app = typer.Typer(
    name="imsrecon",
    help="Reconcile the GST portal's Invoice Management System (IMS) with your purchase register.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Workspace database: a file path, ':memory:' (no workspace file) or an SQLAlchemy URL. "
        "Default: $IMSRECON_DB, else imsrecon.db in the current folder.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the answer as JSON on stdout.")]


def checked_gstin(value: str | None) -> str | None:
    """Typer callback: the recipient GSTIN trimmed and upper-cased, refused (exit 2) when its
    shape or check character is wrong, before anything is read or stored."""
    if value is None:
        return None
    from imsrecon.workflow_inputs import RecipientGstinError, check_recipient_gstin

    try:
        return check_recipient_gstin(value)
    except RecipientGstinError as exc:
        raise typer.BadParameter(str(exc)) from None


GstinOption = Annotated[
    str | None,
    typer.Option("--gstin", help="Your (the recipient's) GSTIN, checked (shape and check character): "
                 "fills blank recipient GSTINs and leaves out other recipients' documents; files "
                 "imported for another recipient are imported again for this one.",
                 show_default=False, callback=checked_gstin),
]
RunGstinOption = Annotated[
    str | None,
    typer.Option("--gstin", help="The recipient GSTIN whose run is meant: its latest run (or, with --run, "
                 "checked to be its run). Needed when the workspace holds runs of several recipients.",
                 show_default=False, callback=checked_gstin),
]


def regular_files(value: Path | list[Path] | None) -> Path | list[Path] | None:
    """Typer callback for every path a user gives to be read: a FIFO, a device or a link to one
    is refused before anything opens it (reading one never ends). Exit code 2, as for a missing file."""
    from imsrecon.importers.base import file_problem

    for path in value if isinstance(value, list) else [] if value is None else [value]:
        problem = file_problem(path)
        if problem is not None:
            raise typer.BadParameter(f"{path}: {problem}")
    return value


MappingOption = Annotated[
    Path | None,
    typer.Option("--mapping", help="TOML file naming your register's columns and document types "
                 "(see docs/mapping.md).", exists=True, dir_okay=False, show_default=False,
                 callback=regular_files),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imsrecon {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """imsrecon: import IMS downloads and purchase registers, reconcile them, and report."""


@contextmanager
def _user_errors() -> Iterator[None]:
    """File and configuration problems end the command with a clear message and exit code 1."""
    try:
        yield
    except InputFileError as exc:
        render.fail(f"{exc.file}: {exc.reason}")
    except ConfigError as exc:
        render.fail(str(exc))
    except WorkspaceError as exc:
        render.fail(f"workspace: {exc}")
    except RecipientGstinError as exc:
        render.fail(f"--gstin {exc}", 2)


def _open(db: str | None):  # noqa: ANN202 - returns a Workspace
    from imsrecon.store.workspace import Workspace

    return Workspace.open(db)


def _options(gstin: str | None, mapping: Path | None) -> ImportOptions:
    return ImportOptions(recipient_gstin=gstin, mapping_file=mapping)  # gstin: checked_gstin's


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="IMS/GSTR-2B/GSTR-2A downloads or purchase registers.",
                                                exists=True, dir_okay=False, callback=regular_files)],
    side: Annotated[str | None, typer.Option(
        "--side", help="'ims' or 'pr' to say which side the files are; detected from content if left out.",
        show_default=False)] = None,
    gstin: GstinOption = None,
    mapping: MappingOption = None,
    db: DbOption = None,
    issues_out: Annotated[Path | None, typer.Option(
        "--issues-out", help="Write every row issue to this .csv, .json or .xlsx file.", show_default=False)] = None,
    show: Annotated[int, typer.Option("--show", help="How many row issues to print.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Import files into the workspace: every row becomes a document or an issue naming file, row,
    column and value. Importing the same file (or the same documents saved again) for the same
    recipient again changes nothing and says so."""
    from imsrecon.workflow import import_files

    if side not in (None, "ims", "pr"):
        render.fail("--side must be 'ims' or 'pr'", 2)
    with _user_errors():
        ws = _open(db)
        with render.progress(not as_json) as step:
            done = import_files(ws, files, side, _options(gstin, mapping), step)
        issues = [i for fi in done for i in fi.issues]
        if issues_out:
            from imsrecon.exporters.tables import write_issues

            write_issues(issues, issues_out)
    files_summary = [{**fi.summary, "already_imported": fi.already_imported, "import_id": fi.import_id}
                     for fi in done]
    from imsrecon.workflow_snapshots import changes_since_previous

    if as_json:
        render.print_json({"files": files_summary, "issues": [i.as_dict() for i in issues[:1000]],
                           "issues_total": len(issues)})
        return
    render.print_import_table(files_summary)
    for fi in done:
        for note in fi.notes:
            render.console.print(f"{fi.path.name}: {note}", style="dim")
    for fi in done:
        if fi.side == "ims" and fi.import_id is not None and not fi.already_imported:
            changes = changes_since_previous(ws, fi.import_id)
            if changes is not None:
                s = changes.summary()
                render.console.print(
                    f"{fi.path.name} against {s['previous_file']}: {s['new']} new, {s['changed']} changed, "
                    f"{s['removed']} removed; {s['decisions_to_review']} decisions to review "
                    "(`imsrecon changes` lists them)", soft_wrap=True)
    render.print_issues(issues, show)


# registered here, after `import`, so that --help lists the commands in the order they are used
from imsrecon.cli import reconcile as _reconcile  # noqa: E402,F401,I001  (registers `imsrecon reconcile`)


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Write the result here: .csv, .json or .xlsx.")],
    run: Annotated[int | None, typer.Option("--run", help="Run id; the latest run if left out.",
                                               show_default=False)] = None,
    errors: Annotated[bool, typer.Option("--errors", help="Write the failed documents of every upload "
                                         "instead (.csv or .xlsx).")] = False,
    gstin: RunGstinOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the stored result of a reconciliation run (or, with --errors, the upload failures)."""
    from imsrecon.workflow import write_stored_report

    if errors:
        from imsrecon.workflow_upload_status import write_error_report

        if out.suffix.lower() not in (".csv", ".xlsx"):
            render.fail("--out must end in .csv or .xlsx", 2)
        with _user_errors():
            done = write_error_report(_open(db), out)
        if as_json:
            render.print_json(done)
        else:
            render.console.print(f"{done['failed']} failed documents written to {out}")
        return
    if out.suffix.lower() not in (".csv", ".json", ".xlsx"):
        render.fail("--out must end in .csv, .json or .xlsx", 2)
    with _user_errors():
        ws = _open(db)
        summary = write_stored_report(ws, run, out, gstin)
    if summary is None:
        render.fail("no reconciliation run in this workspace yet: run `imsrecon reconcile` first")
    if as_json:
        render.print_json(summary)
        return
    render.console.print(render.counts_table(summary["counts"], f"Reconciliation run {summary['run_id']}"))
    render.console.print(f"Result written to {out}")


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Folder for the demo files.")] = Path("imsrecon-demo"),
    size: Annotated[int, typer.Option("--size", help="Number of IMS documents to generate.", min=1)] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 7,
    layout: Annotated[str, typer.Option("--layout", help="Register layout: tally, zoho, busy, plain or plain_us (plain, dates month-first as Excel writes them in US English).")] = "tally",
    as_json: JsonOption = False,
) -> None:
    """Make demo data (an IMS download and a messy purchase register), reconcile it, write the
    Excel report and print the summary."""
    from imsrecon.workflow import run_demo

    with _user_errors():
        with render.progress(not as_json) as step:
            outcome, paths = run_demo(folder, size, seed, layout, step)
    summary = outcome.summary()
    summary["demo_files"] = {k: str(v) for k, v in paths.items()}
    if as_json:
        render.print_json(summary)
        return
    render.console.print(render.counts_table(summary["counts"], f"Demo ({size} IMS docs)"))
    for name, path in paths.items():
        render.console.print(f"{name}: {path}")
    db = paths["workspace"]
    render.console.print(
        f"Next: open {paths['report_xlsx']}; `imsrecon explain KEY --db {db}` shows why a document paired (or not); "
        f"`imsrecon export-upload --out upload --with-recommendations --db {db}` writes the portal's files.",
        soft_wrap=True,
    )


@app.command()
def explain(
    key: Annotated[str, typer.Argument(help="A matching key, or a document number (either side, any spelling).")],
    run: Annotated[int | None, typer.Option("--run", help="Run id; the latest run if left out.",
                                               show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many candidates to show.", min=1)] = 10,
    gstin: RunGstinOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show how a document was reconciled: its result, and its comparison with every candidate
    on the other side (number, date, each amount, score, and what ruled each one out)."""
    from imsrecon.workflow import explain as explain_key

    with _user_errors():
        ws = _open(db)
        found = explain_key(ws, key, run, limit, gstin)
    if not found:
        render.fail(f"no document with matching key or number {key!r} in the latest run"
                    if run is None else f"no document {key!r} in run {run}")
    if as_json:
        render.print_json([{"run_id": e.run_id, "side": e.side, "result": e.row,
                            "candidates": e.candidates.to_dicts()} for e in found])
        return
    for e in found:
        render.print_explanation(e)


def main() -> None:
    app()


from imsrecon.cli import changes as _changes  # noqa: E402,F401  (registers `imsrecon changes`)
from imsrecon.cli import decide as _decide  # noqa: E402,F401  (registers `imsrecon decide`)
from imsrecon.cli import figures as _figures  # noqa: E402,F401  (registers `imsrecon figures`)
from imsrecon.cli import upload as _upload  # noqa: E402,F401  (registers `imsrecon export-upload`)
from imsrecon.cli import upload_status as _upload_status  # noqa: E402,F401  (registers `imsrecon upload-status`)
