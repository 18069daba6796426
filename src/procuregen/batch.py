"""Drafting many specs at once: one task per spec, run in worker processes.

Each worker imports the renderers and loads each clause library once, then drafts spec
after spec through `api.draft`, which writes all of a spec's outputs or none. A task
returns a picklable SpecResult; the parent collects them into a BatchReport, in the
order the specs were given, whatever order they finished in.
"""

from __future__ import annotations

import gc
import importlib
import json
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from procuregen import __version__
from procuregen.errors import Location, Problem, ProcuregenError, sorted_problems

if TYPE_CHECKING:
    from procuregen.library import Library

REPORT_NAME = "report.json"
REPORT_FORMAT = 1
Status = Literal["drafted", "failed", "cancelled"]


@dataclass(frozen=True)
class DraftOptions:
    """What `procuregen draft` was asked for, the same for every spec of a batch."""

    out_dir: Path
    formats: tuple[str, ...] | None = None
    library_dir: Path | None = None
    force: bool = False
    write_manifest: bool = False
    strict: bool = False
    ledger: Path | None = None
    template_dir: Path | None = None


@dataclass(frozen=True)
class Output:
    path: Path
    sha256: str


@dataclass(frozen=True)
class SpecResult:
    """What became of one spec; picklable, so a worker process can return it."""

    spec: Path
    status: Status
    outputs: tuple[Output, ...] = ()
    warnings: tuple[Problem, ...] = ()
    errors: tuple[Problem, ...] = ()
    seconds: float = 0.0
    peak_rss_kib: int = 0  # of the process that drafted it, just after (not in the report)
    pid: int = 0  # of that process (not in the report)

    def as_json(self) -> dict[str, Any]:
        return {
            "spec": str(self.spec),
            "status": self.status,
            "outputs": [{"path": str(o.path), "sha256": o.sha256} for o in self.outputs],
            "warnings": [_problem_json(p) for p in self.warnings],
            "errors": [_problem_json(p) for p in self.errors],
            "seconds": round(self.seconds, 3),
        }


def _problem_json(problem: Problem) -> dict[str, Any]:
    where = problem.location
    return {
        "file": where.file,
        "line": where.line,
        "column": where.column,
        "message": problem.message,
        "text": str(problem),
    }


@dataclass(frozen=True)
class BatchReport:
    """Every spec of a batch in the order given; `interrupted` after Ctrl-C."""

    results: tuple[SpecResult, ...]
    jobs: int
    seconds: float
    interrupted: bool = False

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return self.interrupted or self.count("failed") > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "report_format": REPORT_FORMAT,
            "procuregen": __version__,
            "interrupted": self.interrupted,
            "jobs": self.jobs,
            "seconds": round(self.seconds, 3),
            "summary": {
                "specs": len(self.results),
                "drafted": self.count("drafted"),
                "failed": self.count("failed"),
                "cancelled": self.count("cancelled"),
            },
            "specs": [r.as_json() for r in self.results],
        }

    def to_json(self) -> bytes:
        text = json.dumps(self.as_json(), indent=2, sort_keys=True, ensure_ascii=False)
        return (text + "\n").encode("utf-8")


def write_report(report: BatchReport, out_dir: Path) -> Path:
    """Write OUT/report.json, replacing any, by one rename of a synced temporary file."""
    from procuregen.output import write_all

    path = out_dir / REPORT_NAME
    write_all({path: report.to_json()}, force=True)
    return path


# -- planning, in the parent, before anything is written ------------------------------


@dataclass(frozen=True)
class Plan:
    """What the workers should prepare: the libraries to load and the renderers to import."""

    libraries: tuple[Path, ...]
    formats: tuple[str, ...]


def plan(specs: Sequence[Path], options: DraftOptions) -> Plan:
    """Read every spec cheaply for its output name and library.

    Two specs that would write the same output name are an error, raised before anything
    is written. A spec that cannot be read is left for its own task to report.
    """
    from procuregen.library import library_path
    from procuregen.spec import read_spec

    first: dict[str, Path] = {}
    problems: list[Problem] = []
    libraries: dict[Path, None] = {}
    formats: set[str] = set(options.formats or ())
    for spec in specs:
        try:
            spec_file = read_spec(spec)
        except ProcuregenError:
            continue
        output = spec_file.spec.output
        name = output.name or spec.stem
        if name in first:
            written = spec_file.source.values.get(("output", "name"))
            where = written or Location(str(spec))
            problems.append(
                Problem(
                    where,
                    f"output name {name!r} is also the output name of {first[name]}; "
                    f"both would write {options.out_dir / name}.*",
                )
            )
        else:
            first[name] = spec
        if not options.formats:
            formats.update(output.formats)
        with suppress(ProcuregenError):  # the spec's own task reports it, located
            libraries[library_path(spec_file.spec.library, options.library_dir)] = None
    if problems:
        raise ProcuregenError(sorted_problems(problems))
    return Plan(tuple(libraries), tuple(sorted(formats)))


# -- in a worker (or in-process with --jobs 1) ----------------------------------------

_libraries: dict[Path, Library] = {}


def _cached_load_library(root: Path) -> Library:
    """`load_library`, once per root in this process; a library that fails is not kept."""
    from procuregen.library import load_library

    library = _libraries.get(root)
    if library is None:
        library = _libraries[root] = load_library(root)
    return library


def _use_loader(loader: Callable[[Path], Library]) -> Callable[[Path], Library]:
    """Make `api.draft` load libraries with `loader`; return the loader it used before."""
    import procuregen.api

    previous: Callable[[Path], Library] = getattr(procuregen.api, "load_library")  # noqa: B009
    setattr(procuregen.api, "load_library", loader)  # noqa: B010
    return previous


@contextmanager
def library_cache() -> Iterator[None]:
    """Within the block, `api.draft` loads each library root once and reuses it.

    The library keeps its compiled clause templates, so every later spec skips reading
    the clause files and compiling their templates again.
    """
    previous = _use_loader(_cached_load_library)
    try:
        yield
    finally:
        _use_loader(previous)
        _libraries.clear()


def prepare(work_plan: Plan) -> None:
    """Import the renderers this batch needs and load its libraries, once per process."""
    global _prepared
    if work_plan == _prepared:
        return
    _import_renderers(work_plan.formats)
    for root in work_plan.libraries:
        with suppress(ProcuregenError):  # the spec's own task reports it, located
            _cached_load_library(root)
    _prepared = work_plan


_prepared: Plan | None = None


def _import_renderers(formats: Sequence[str]) -> None:
    modules = ["procuregen.api", "procuregen.drafting"]
    if "docx" in formats:
        modules.append("procuregen.render.docx")
    if "pdf" in formats:
        modules += ["procuregen.render.html", "procuregen.render.pdf"]
    for module in modules:
        importlib.import_module(module)
    if "pdf" in formats:
        from procuregen.render.pdf import warm_up

        warm_up()


def _worker_init(formats: tuple[str, ...]) -> None:
    """Initializer of each worker process, run while the parent still reads the specs.

    Ctrl-C is the parent's to handle, so a worker finishes the spec it is drafting (its
    files are renamed into place or not at all). What --format names is imported now;
    the rest of the plan (libraries, formats the specs ask for) with the first task.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _use_loader(_cached_load_library)
    _import_renderers(formats)


def _started() -> int:
    """A task that only makes the pool start a worker process."""
    return os.getpid()


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def draft_one(
    spec: Path, options: DraftOptions, work_plan: Plan | None = None, *, last: bool = False
) -> SpecResult:
    """Draft one spec (after preparing the process for `work_plan`, the first time);
    every failure becomes a failed result, never an exception. Unless it is the `last`
    this process drafts, collect what it left behind."""
    try:
        if work_plan is not None:
            prepare(work_plan)
        return _draft_one(spec, options)
    finally:
        if not last:
            _collect_garbage()


def _collect_garbage() -> None:
    """Free what the agreement just drafted left in reference cycles.

    python-docx's parts and relationships (and WeasyPrint's boxes) form cycles that hold
    the whole lxml document; Python's collector counts only Python objects, so without
    this a worker's resident size grew by about 0.25 MiB an agreement. Whatever survives
    the collection (modules, libraries, compiled templates, caches) is then frozen, so
    that the next collection looks only at what the next agreement made: a full
    collection each time had cost 15 to 25 ms an agreement, a third of a DOCX's.
    """
    gc.collect()
    gc.freeze()


def _draft_one(spec: Path, options: DraftOptions) -> SpecResult:
    from procuregen.api import draft

    started = time.perf_counter()
    try:
        written, warnings = draft(
            spec,
            out_dir=options.out_dir,
            formats=options.formats,
            library_dir=options.library_dir,
            force=options.force,
            write_manifest=options.write_manifest,
            strict=options.strict,
            ledger=options.ledger,
            template_dir=options.template_dir,
        )
        outputs = tuple(Output(path, sha256) for path, sha256 in written.items())
    except ProcuregenError as error:
        return SpecResult(
            spec,
            "failed",
            errors=tuple(sorted_problems(error.problems)),
            seconds=time.perf_counter() - started,
            peak_rss_kib=_peak_rss_kib(),
            pid=os.getpid(),
        )
    except Exception as error:  # a bug must not stop the other specs of the batch
        problem = Problem(Location(str(spec)), f"internal error: {type(error).__name__}: {error}")
        return SpecResult(
            spec,
            "failed",
            errors=(problem,),
            seconds=time.perf_counter() - started,
            peak_rss_kib=_peak_rss_kib(),
            pid=os.getpid(),
        )
    return SpecResult(
        spec,
        "drafted",
        outputs=outputs,
        warnings=tuple(warnings),
        seconds=time.perf_counter() - started,
        peak_rss_kib=_peak_rss_kib(),
        pid=os.getpid(),
    )


# -- the batch ------------------------------------------------------------------------


def default_jobs() -> int:
    return os.cpu_count() or 1


def run_batch(
    specs: Sequence[Path],
    options: DraftOptions,
    *,
    jobs: int,
    work_plan: Plan | None = None,
    on_planned: Callable[[Plan], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SpecResult], None] | None = None,
) -> BatchReport:
    """Draft every spec, with up to `jobs` worker processes (in this process when 1).

    The workers start first, so that they import and load while this process reads the
    specs for `plan` (unless `work_plan` is given). Two specs with the same output name
    raise a ProcuregenError then, before `on_planned` is called and anything is written.
    `on_result` is called in this process as each spec finishes. Ctrl-C cancels the specs
    not yet started, lets the running ones finish, and returns an interrupted report.
    """
    workers = max(1, min(jobs, len(specs)))
    executor = _start_pool(workers, options) if workers > 1 else None
    try:
        work_plan = work_plan or plan(specs, options)
        if on_planned:
            on_planned(work_plan)
        if on_start:
            on_start(workers)
        started = time.perf_counter()
        results: dict[int, SpecResult] = {}
        interrupted = False

        def finished(index: int, result: SpecResult) -> None:
            results[index] = result
            if on_result:
                on_result(result)

        if executor is None:
            with library_cache():
                try:
                    for index, spec in enumerate(specs):
                        last = index == len(specs) - 1  # Python's own collector frees it later
                        finished(index, draft_one(spec, options, last=last))
                except KeyboardInterrupt:
                    interrupted = True
        else:
            interrupted = _run_pool(executor, specs, options, work_plan, finished)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    ordered = tuple(results.get(i) or SpecResult(spec, "cancelled") for i, spec in enumerate(specs))
    return BatchReport(ordered, workers, time.perf_counter() - started, interrupted)


def _start_pool(workers: int, options: DraftOptions) -> ProcessPoolExecutor:
    """A pool whose `workers` processes are starting already (the pool starts one per
    task submitted, so one small task each)."""
    # spawn: a fresh interpreter per worker, never a fork of a process with threads
    # (the progress bar's refresh thread, the pool's own manager thread).
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(options.formats or (),),
    )
    for _ in range(workers):
        executor.submit(_started)
    return executor


def _run_pool(
    executor: ProcessPoolExecutor,
    specs: Sequence[Path],
    options: DraftOptions,
    work_plan: Plan,
    finished: Callable[[int, SpecResult], None],
) -> bool:
    """Run the specs in the pool; return whether Ctrl-C stopped it."""
    pending: dict[Future[SpecResult], int] = {}
    try:
        pending = {
            executor.submit(draft_one, spec, options, work_plan): i for i, spec in enumerate(specs)
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                finished(index, _result(future, specs[index]))
    except KeyboardInterrupt:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)  # running specs finish whole
        for future, index in pending.items():
            if future.done() and not future.cancelled():
                finished(index, _result(future, specs[index]))
        return True
    return False


def _result(future: Future[SpecResult], spec: Path) -> SpecResult:
    """The task's result; a worker that died (killed, out of memory) fails its spec."""
    try:
        return future.result()
    except Exception as error:
        message = f"the worker process drafting this spec failed: {type(error).__name__}: {error}"
        return SpecResult(spec, "failed", errors=(Problem(Location(str(spec)), message),))
