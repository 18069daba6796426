"""`procuregen draft`: specs to DOCX and PDF agreements, many at once in worker processes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from procuregen.commands.options import (
    json_option,
    ledger_option,
    library_option,
    strict_option,
    template_option,
)
from procuregen.errors import Problem

if TYPE_CHECKING:
    from procuregen.batch import BatchReport, SpecResult


@click.command("draft")
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    show_default="the project configuration's output.folder, else the current folder",
    help="Folder to write the documents into; created when it does not exist.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["docx", "pdf"]),
    multiple=True,
    help="Draft only this format (repeatable); default: the spec's output.formats.",
)
@library_option
@click.option("--force", is_flag=True, help="Replace existing outputs.")
@click.option("--manifest", "write_manifest", is_flag=True, help="Also write NAME.manifest.json.")
@strict_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    show_default="the number of cores",
    help="Worker processes drafting specs side by side; 1 drafts in this process.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@json_option
@ledger_option
@template_option
def command(
    specs: tuple[Path, ...],
    out_dir: Path | None,
    formats: tuple[str, ...],
    library_dir: Path | None,
    force: bool,
    write_manifest: bool,
    strict: bool,
    jobs: int | None,
    quiet: bool,
    as_json: bool,
    ledger: Path | None,
    template_dir: Path | None,
) -> None:
    """Draft the agreement of each SPEC as DOCX and PDF; a failed spec writes nothing.

    With more than one SPEC, the specs are drafted side by side in worker processes, a
    failed spec does not stop the others, and OUT/report.json lists what became of each
    (status, outputs with SHA-256, warnings and errors with their locations, seconds).
    Two specs that would write the same output name are refused before anything is
    written. Exit 1 when any spec failed; 130 after Ctrl-C, which lets the specs being
    drafted finish and cancels the rest.
    """
    from procuregen.batch import DraftOptions, Plan, default_jobs, run_batch, write_report
    from procuregen.config import output_folder
    from procuregen.output import create_folder

    out_dir = output_folder(specs[0], out_dir)
    options = DraftOptions(
        out_dir=out_dir,
        formats=formats or None,
        library_dir=library_dir,
        force=force,
        write_manifest=write_manifest,
        strict=strict,
        ledger=ledger,
        template_dir=template_dir,
    )
    batch = len(specs) > 1

    show = Show(len(specs), batch=batch, quiet=quiet or as_json)

    def planned(_: Plan) -> None:  # after the plan: duplicate names write nothing
        create_folder(out_dir)
        show.begin()

    try:
        report = run_batch(
            specs,
            options,
            jobs=jobs or default_jobs(),
            work_plan=None if batch else Plan((), ()),  # a batch's plan refuses duplicates
            on_planned=planned,
            on_start=show.start,
            on_result=show.result,
        )
    finally:
        show.end()
    report_path = write_report(report, out_dir) if batch else None
    if as_json:
        click.echo(report.to_json().decode("utf-8"), nl=False)
    elif not quiet:
        show.summary(report, report_path)
    if report.interrupted:
        finished = len(specs) - report.count("cancelled")
        where = f"; see {report_path}" if report_path else ""
        click.echo(f"interrupted: {finished} of {len(specs)} specs finished{where}", err=True)
        sys.exit(130)
    if report.count("failed"):
        sys.exit(1)


class Show:
    """What a person sees while a batch runs.

    One spec: its warnings, then `wrote PATH` for each file, as ever. A batch on a
    terminal: a progress bar (done, failed, rate, time left); otherwise one line per
    spec. Errors and warnings always go to stderr as `file:line:col: message`; with
    --quiet or --json nothing else is printed while drafting.
    """

    def __init__(self, total: int, *, batch: bool, quiet: bool) -> None:
        self.total = total
        self.batch = batch
        self.quiet = quiet
        self.done = 0
        self.failed = 0
        self.started = time.perf_counter()
        self.progress: Any = None
        self.task: Any = None
        if batch and not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("drafting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.task = self.progress.add_task("draft", total=total, failed=0, rate="")

    def begin(self) -> None:
        """Show the progress bar, when there is one (after the specs were read)."""
        if self.progress is not None:
            self.progress.start()

    def end(self) -> None:
        if self.progress is not None:
            self.progress.stop()

    def start(self, workers: int) -> None:
        self.started = time.perf_counter()
        self.workers = workers

    def problem(self, problem: Problem) -> None:
        if self.progress is not None:
            self.progress.console.print(str(problem), markup=False, highlight=False)
        else:
            click.echo(str(problem), err=True)

    def result(self, result: SpecResult) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        for error in result.errors:
            self.problem(error)
        if not self.quiet:
            for warning in result.warnings:
                self.problem(warning)
        if self.progress is not None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            rate = f"{self.done / elapsed * 60:.1f}/min"
            self.progress.update(self.task, advance=1, failed=self.failed, rate=rate)
        elif self.quiet:
            return
        elif not self.batch:
            for output in result.outputs:
                click.echo(f"wrote {output.path}")
        else:
            counter = f"[{self.done}/{self.total}]"
            if result.status == "drafted":
                paths = ", ".join(str(o.path) for o in result.outputs)
                click.echo(f"{counter} drafted {result.spec} -> {paths} ({result.seconds:.2f} s)")
            else:
                errors = len(result.errors)
                click.echo(
                    f"{counter} failed {result.spec}: {errors} error{'s' * (errors != 1)} "
                    f"({result.seconds:.2f} s)"
                )

    def summary(self, report: BatchReport, report_path: Path | None) -> None:
        if not self.batch:
            return
        failed = report.count("failed")
        workers = f"{report.jobs} worker{'s' * (report.jobs != 1)}"
        line = (
            f"drafted {report.count('drafted')} of {len(report.results)} specs "
            f"in {report.seconds:.1f} s with {workers}"
        )
        if failed:
            line += f"; {failed} failed"
        click.echo(f"{line}; report: {report_path}")
