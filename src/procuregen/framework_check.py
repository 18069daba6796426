"""A call-off checked against its framework spec: every choice outside it, and its deviations.

A call-off names its framework with `framework: ../framework.yaml`. The framework states
what call-offs may do: the positions allowed per slot (`clauses.allow`), the maximum rates
(`value.rates`), its term and extensions, the services in scope and the ceiling
(`value.amount`). A call-off outside those limits is an error at its line; a call-off that
departs from the framework within them has deviations, printed in its deviation schedule
(the spec's `framework_deviations`, filled in here and never written by hand).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from procuregen.errors import Location, Problem, ProcuregenError, SpecError, sorted_problems
from procuregen.spec import Spec, SpecFile, read_spec
from procuregen.spec.model import Deviation, add_months
from procuregen.yamlsource import LocatedDocument, load_bytes
from procuregen.yamlsource import Path as YamlPath

PROJECT_FILE = "procuregen.toml"
LEDGER_MAX_BYTES = 1_000_000

# Values compared between call-off and framework (where both specs have them), in the
# order the deviation schedule lists them. A mapping is compared leaf by leaf.
COMPARED: tuple[YamlPath, ...] = (
    ("open_source",),
    ("data", "storage_locations"),
    ("data", "retention_days"),
    ("security",),
    ("service_levels",),
    ("accessibility",),
    ("software", "sbom"),
    ("value", "payment_days"),
    ("term", "termination_notice_days"),
    ("liability",),
    ("insurance",),
    ("law",),
)


# -- the one hook for the command line ---------------------------------------------------


def apply_framework(
    spec_file: SpecFile, *, library: Any = None, ledger: Path | None = None
) -> SpecFile:
    """`spec_file` with its deviations from its framework filled in; raise SpecError naming
    every call-off choice outside the framework (and every misuse of the fields involved).

    A spec without `framework:` comes back unchanged (after the checks of the fields).
    `library` (a procuregen.library.Library) lets the positions that conditions and defaults
    pick be checked too; without it only `clauses.choose` is compared.
    """
    problems = list(field_problems(spec_file))
    if problems:
        raise SpecError(sorted_problems(problems))
    spec = spec_file.spec
    if spec.framework is None:
        if ledger is not None:
            raise SpecError(
                Problem(
                    spec_file.locate(("document",)),
                    "--ledger: the ledger is checked against a framework's ceiling; this spec "
                    "names no framework (add framework: PATH)",
                )
            )
        return spec_file
    framework = read_framework(spec_file)
    total = None
    if ledger is not None:
        total = read_ledger(
            ledger, currency=framework.spec.value.currency, skip=spec.agreement.reference
        )
    problems, deviations = check_call_off(spec_file, framework, ledger_total=total, library=library)
    if problems:
        raise SpecError(sorted_problems(problems))
    return with_deviations(spec_file, deviations)


def with_deviations(spec_file: SpecFile, deviations: Iterable[Deviation]) -> SpecFile:
    """The same spec file whose spec carries `deviations` (what the deviation schedule prints)."""
    spec = spec_file.spec.model_copy(update={"framework_deviations": tuple(deviations)})
    return replace(spec_file, spec=spec)


def field_problems(spec_file: SpecFile) -> Iterator[Problem]:
    """Misuse of the fields of this check: a written `framework_deviations`, `framework` in a
    framework, `clauses.allow` in a call-off."""
    data = spec_file.source.data
    keys = spec_file.source.keys
    if not isinstance(data, dict):
        return
    if "framework_deviations" in data:
        yield Problem(
            keys.get(("framework_deviations",)) or spec_file.locate(("framework_deviations",)),
            "framework_deviations: filled in by procuregen from the framework spec; remove it "
            "and name the framework with framework: PATH",
        )
    spec = spec_file.spec
    if spec.document == "framework" and spec.framework is not None:
        yield Problem(
            spec_file.locate(("framework",)),
            "framework: only a call-off names the framework spec it is awarded under",
        )
    if spec.document == "call-off" and spec.clauses.allow:
        yield Problem(
            keys.get(("clauses", "allow")) or spec_file.locate(("clauses", "allow")),
            "clauses.allow: only a framework says which positions its call-offs may take; "
            "a call-off chooses one with clauses.choose",
        )


# -- finding and reading the framework ---------------------------------------------------


def project_root(spec_path: Path) -> Path:
    """The folder a spec's `framework:` must stay inside: the nearest folder at or above the
    spec's own that holds procuregen.toml, else the parent of the spec's folder."""
    folder = spec_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return folder.parent


def framework_path(spec_file: SpecFile) -> Path:
    """Where the call-off's `framework:` points; SpecError at its line when it escapes."""
    name = spec_file.spec.framework
    assert name is not None
    where = spec_file.locate(("framework",))
    if Path(name).is_absolute() or name.startswith(("/", "\\")) or ":" in name[:3]:
        raise SpecError(
            Problem(where, f"framework: {name!r} is absolute; write a path relative to this spec")
        )
    # With `extends:`, relative to the layer that wrote it; confined to the call-off's project.
    writer = Path(where.file) if where.file and Path(where.file).is_file() else spec_file.path
    base = writer.resolve().parent
    root = project_root(spec_file.path)
    target = (base / name).resolve()
    if not target.is_relative_to(root):
        raise SpecError(
            Problem(
                where,
                f"framework: {name!r} leads outside {root} (the project: the nearest folder "
                f"with {PROJECT_FILE}, else the folder above the call-off's)",
            )
        )
    return target


def read_framework(spec_file: SpecFile) -> SpecFile:
    """The framework spec a call-off names, read and validated; errors at `framework:`."""
    target = framework_path(spec_file)
    where = spec_file.locate(("framework",))
    name = spec_file.spec.framework
    if not target.is_file():
        raise SpecError(Problem(where, f"framework: no file {name!r} (looked for {target})"))
    framework = read_spec(target)
    if framework.spec.document != "framework":
        raise SpecError(
            Problem(
                where,
                f"framework: {name!r} is a {framework.spec.document} spec, not a framework "
                "(document: framework)",
            )
        )
    return framework


# -- the ledger of earlier call-offs -------------------------------------------------------


def read_ledger(path: Path, *, currency: str | None = None, skip: str | None = None) -> Decimal:
    """The total of the earlier call-offs a ledger lists; SpecError naming each bad row.

    A ledger is CSV (a header row with `amount`, optionally `reference` and `currency`,
    one call-off a row) or YAML (a list of mappings with the same keys, or a mapping with
    such a list under `call_offs`). Amounts exclude VAT, in the framework's currency. A row
    whose reference is `skip` (the call-off being checked) is not counted twice.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(
            Problem(Location(str(path)), f"cannot read ledger: {exc.strerror}")
        ) from None
    if len(raw) > LEDGER_MAX_BYTES:
        raise SpecError(Problem(Location(str(path)), "ledger: larger than 1 MB"))
    if path.suffix.lower() == ".csv":
        rows = list(_csv_rows(path, raw))
    else:
        rows = list(_yaml_rows(path, raw))
    problems: list[Problem] = []
    total = Decimal(0)
    for where, row in rows:
        if isinstance(row, Problem):
            problems.append(row)
            continue
        amount = _amount(row.get("amount"))
        if amount is None:
            problems.append(
                Problem(
                    where("amount"),
                    f"amount: {row.get('amount')!r} is not an amount of 0 or more (excluding VAT)",
                )
            )
            continue
        row_currency = (row.get("currency") or "").strip()
        if currency and row_currency and row_currency != currency:
            problems.append(
                Problem(
                    where("currency"),
                    f"currency: {row_currency} differs from the framework's {currency}",
                )
            )
            continue
        if skip is not None and (row.get("reference") or "").strip() == skip:
            continue
        total += amount
    if problems:
        raise SpecError(sorted_problems(problems))
    return total


LedgerRow = tuple[Any, Any]  # (where, row mapping) or (None, Problem)


def _csv_rows(path: Path, raw: bytes) -> Iterator[LedgerRow]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield None, Problem(Location(str(path)), "ledger: not UTF-8")
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [f.strip() for f in reader.fieldnames or []]
    if "amount" not in fields:
        yield (
            None,
            Problem(
                Location(str(path), 1, 1),
                "ledger: the first row must name the columns, with amount (and optionally "
                "reference and currency)",
            ),
        )
        return
    try:
        for row in reader:
            line = reader.line_num
            cells = {(k or "").strip(): (v or "") for k, v in row.items() if k is not None}
            if not any(cell.strip() for cell in cells.values()):
                continue

            def where(column: str, line: int = line) -> Location:
                index = fields.index(column) + 1 if column in fields else 1
                return Location(str(path), line, index)

            yield where, cells
    except csv.Error as exc:
        yield None, Problem(Location(str(path), reader.line_num), f"ledger: {exc}")


def _yaml_rows(path: Path, raw: bytes) -> Iterator[LedgerRow]:
    doc = load_bytes(str(path), raw, SpecError)
    data: Any = doc.data
    prefix: YamlPath = ()
    if isinstance(data, dict) and "call_offs" in data:
        data, prefix = data["call_offs"], ("call_offs",)
    if data is None:
        return
    if not isinstance(data, list):
        yield (
            None,
            Problem(
                doc.locate(prefix),
                "ledger: a list of {reference, amount} mappings (or one under call_offs)",
            ),
        )
        return
    for index, item in enumerate(data):
        at = (*prefix, index)
        if not isinstance(item, dict):
            yield None, Problem(doc.locate(at), f"[{index}]: a mapping {{reference, amount}}")
            continue
        unknown = sorted(set(item) - {"reference", "amount", "currency", "date"})
        if unknown:
            yield (
                None,
                Problem(
                    _key_or_value(doc, (*at, unknown[0])),
                    f"[{index}].{unknown[0]}: unknown key (allowed: reference, amount, currency, "
                    "date)",
                ),
            )
            continue

        def where(column: str, at: YamlPath = at) -> Location:
            return doc.locate((*at, column))

        yield where, {k: v if isinstance(v, str) else "" for k, v in item.items()}


def _key_or_value(doc: LocatedDocument, path: YamlPath) -> Location:
    return doc.keys.get(path) or doc.locate(path)


def _amount(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value.strip().replace("_", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


# -- the check -------------------------------------------------------------------------


def framework_end(framework: Spec) -> dt.date:
    """The framework's last day, with every extension taken up."""
    return add_months(framework.term.start, framework.term.total_months) - dt.timedelta(days=1)


def check_call_off(
    call_off: SpecFile,
    framework: SpecFile,
    *,
    ledger_total: Decimal | None,
    library: Any = None,
) -> tuple[list[Problem], list[Deviation]]:
    """Every call-off choice outside the framework (errors at the call-off's lines, or at the
    framework's for a broken `clauses.allow`), and the call-off's deviations from it."""
    checker = _Checker(call_off, framework, library)
    checker.dates()
    checker.services()
    same_currency = checker.currency()
    if same_currency:
        checker.rates()
        checker.ceiling(ledger_total)
    positions = checker.positions()
    deviations = [*positions, *checker.levers(), *checker.values()]
    return sorted_problems(checker.problems), deviations


class _Checker:
    def __init__(self, call_off: SpecFile, framework: SpecFile, library: Any) -> None:
        self.file = call_off
        self.call_off = call_off.spec
        self.frame_file = framework
        self.framework = framework.spec
        self.library = library
        self.problems: list[Problem] = []
        self.reference = self.framework.agreement.reference

    def fail(self, path: YamlPath, message: str, *, in_framework: bool = False) -> None:
        file = self.frame_file if in_framework else self.file
        self.problems.append(Problem(file.locate(path), message))

    def dates(self) -> None:
        start, end = self.framework.term.start, framework_end(self.framework)
        for path, day in (
            (("agreement", "date"), self.call_off.agreement.date),
            (("term", "start"), self.call_off.term.start),
        ):
            name = ".".join(map(str, path))
            if day > end:
                self.fail(
                    path,
                    f"{name}: {day.isoformat()} is after the framework agreement "
                    f"{self.reference} ends ({end.isoformat()}, with its extensions); "
                    "a call-off must be awarded while the framework runs",
                )
            elif path == ("agreement", "date") and day < start:
                self.fail(
                    path,
                    f"{name}: {day.isoformat()} is before the framework agreement "
                    f"{self.reference} starts ({start.isoformat()})",
                )

    def services(self) -> None:
        scope = self.framework.services
        for index, service in enumerate(self.call_off.services):
            if service not in scope:
                self.fail(
                    ("services", index),
                    f"services[{index}]: {service} is not in the scope of the framework "
                    f"agreement {self.reference} ({', '.join(scope)})",
                )

    def currency(self) -> bool:
        ours, theirs = self.call_off.value.currency, self.framework.value.currency
        if ours != theirs:
            self.fail(
                ("value", "currency"),
                f"value.currency: the framework agreement {self.reference} prices in {theirs}; "
                f"a call-off under it prices in {theirs} too (its rates and ceiling are not "
                "checked)",
            )
        return ours == theirs

    def rates(self) -> None:
        card = {_role(r.role): r for r in self.framework.value.rates}
        for index, rate in enumerate(self.call_off.value.rates):
            path: YamlPath = ("value", "rates", index)
            maximum = card.get(_role(rate.role))
            if maximum is None:
                roles = ", ".join(r.role for r in self.framework.value.rates) or "none"
                self.fail(
                    (*path, "role"),
                    f"value.rates[{index}].role: {rate.role!r} is not in the rate card of the "
                    f"framework agreement {self.reference} (roles: {roles})",
                )
            elif maximum.unit != rate.unit:
                self.fail(
                    (*path, "unit"),
                    f"value.rates[{index}].unit: the framework agreement {self.reference} "
                    f"prices {maximum.role} per {maximum.unit}, not per {rate.unit}",
                )
            elif rate.rate > maximum.rate:
                self.fail(
                    (*path, "rate"),
                    f"value.rates[{index}].rate: {rate.rate} per {rate.unit} is above the "
                    f"framework agreement's maximum of {maximum.rate} for {maximum.role}",
                )

    def ceiling(self, ledger_total: Decimal | None) -> None:
        value = self.call_off.value
        ours = value.amount + sum(value.extension_amounts, Decimal(0))
        earlier = ledger_total or Decimal(0)
        ceiling = self.framework.value.amount
        if ours + earlier <= ceiling:
            return
        parts = f"value.amount {value.amount}"
        if value.extension_amounts:
            parts += f" and value.extension_amounts {sum(value.extension_amounts)}"
        if ledger_total is not None:
            parts += f", with {earlier} of earlier call-offs in the ledger,"
        self.fail(
            ("value", "amount"),
            f"value.amount: {parts} come to {ours + earlier}, above the ceiling of the "
            f"framework agreement {self.reference}, {ceiling} {self.framework.value.currency}",
        )

    # -- positions and levers

    def positions(self) -> list[Deviation]:
        """Position errors and deviations, slot by slot."""
        ours = self._positions(self.call_off, terms=False)
        theirs = self._positions(self.framework, terms=True)
        allow = self.framework.clauses.allow
        broken = self._check_allow(allow, theirs)
        deviations: list[Deviation] = []
        for slot in sorted(set(ours) | set(allow)):
            position = ours.get(slot)
            if position is None:
                continue
            allowed = allow.get(slot)
            if allowed is not None and slot not in broken and position not in allowed:
                chosen = slot in self.call_off.clauses.choose
                path: YamlPath = ("clauses", "choose", slot) if chosen else ("clauses",)
                how = "chooses" if chosen else "takes (by its values or the library default)"
                self.fail(
                    path,
                    f"clauses.choose.{slot}: the call-off {how} {position!r}, which the "
                    f"framework agreement {self.reference} does not allow (allowed: "
                    f"{', '.join(allowed)})",
                )
            default = theirs.get(slot)
            if default is not None and default != position:
                deviations.append(
                    Deviation(
                        kind="position",
                        subject=slot,
                        framework_value=default,
                        call_off_value=position,
                    )
                )
        return deviations

    def _check_allow(
        self, allow: Mapping[str, tuple[str, ...]], theirs: Mapping[str, str]
    ) -> set[str]:
        """Problems of the framework's `clauses.allow`; the slots whose list is broken."""
        broken: set[str] = set()
        if self.library is None:
            return broken
        slots: dict[str, set[str]] = {}
        for clause in self.library.clauses.values():
            if clause.meta.slot and "call-off" in clause.meta.documents:
                slots.setdefault(clause.meta.slot, set()).add(clause.id)
        for slot, positions in allow.items():
            path: YamlPath = ("clauses", "allow", slot)
            if slot not in slots:
                self.fail(
                    path,
                    f"clauses.allow.{slot}: no slot {slot!r} in a call-off (slots: "
                    f"{', '.join(sorted(slots))})",
                    in_framework=True,
                )
                broken.add(slot)
                continue
            for index, position in enumerate(positions):
                if position not in slots[slot]:
                    self.fail(
                        (*path, index),
                        f"clauses.allow.{slot}[{index}]: {position!r} is not a position of slot "
                        f"{slot!r} (positions: {', '.join(sorted(slots[slot]))})",
                        in_framework=True,
                    )
                    broken.add(slot)
            default = theirs.get(slot)
            if default is not None and positions and default not in positions:
                self.fail(
                    path,
                    f"clauses.allow.{slot}: the framework's own position for call-offs, "
                    f"{default!r}, must be one of those allowed",
                    in_framework=True,
                )
        return broken

    def _included(self, spec: Spec, *, terms: bool) -> set[str] | None:
        """The call-off clauses the library selects for `spec` (for a framework, as its
        Call-Off Terms fix them); None without a library or when selection fails."""
        if self.library is None:
            return None
        from procuregen.assemble.context import call_off_terms_context, spec_context
        from procuregen.assemble.selection import Selection
        from procuregen.usage import Usage

        if terms:
            context = call_off_terms_context(spec, Usage(spec), "call-off")
        else:
            context = spec_context(spec)
        context = {**context, "language": spec.language}
        selection = Selection(
            spec, self.library, "call-off", context, lambda path: Location(""), lenient=terms
        )
        try:
            choices = selection.run()
        except ProcuregenError:
            return None
        if selection.problems or not choices:
            return None
        return {
            clause_id
            for clause_id, choice in choices.items()
            if choice.included and "call-off" in self.library.clauses[clause_id].meta.documents
        }

    def _positions(self, spec: Spec, *, terms: bool) -> dict[str, str]:
        """Slot to position: as the library selects it, else as `clauses.choose` says."""
        included = self._included(spec, terms=terms)
        if included is None:
            return dict(spec.clauses.choose)
        found: dict[str, str] = {}
        for clause_id in sorted(included):
            slot = self.library.clauses[clause_id].meta.slot
            if slot:
                found[slot] = clause_id
        return found

    def levers(self) -> list[Deviation]:
        """Clauses named in either spec's clauses.include or exclude that are in the call-off
        and not in the framework's Call-Off Terms (added), or the other way round (dropped)."""
        ours, theirs = self.call_off.clauses, self.framework.clauses
        named = [*ours.include, *ours.exclude, *theirs.include, *theirs.exclude]
        named = list(dict.fromkeys(named))  # in order, once each
        mine = self._included(self.call_off, terms=False)
        frame = self._included(self.framework, terms=True)
        if mine is None or frame is None:  # the levers alone
            mine = {
                c
                for c in named
                if c in ours.include or (c in theirs.include and c not in ours.exclude)
            }
            frame = {c for c in named if c in theirs.include}
        added = [c for c in named if c in mine and c not in frame]
        dropped = [c for c in named if c in frame and c not in mine]
        return [
            *(
                Deviation(kind="added", subject=c, framework_value=None, call_off_value=None)
                for c in added
            ),
            *(
                Deviation(kind="dropped", subject=c, framework_value=None, call_off_value=None)
                for c in dropped
            ),
        ]

    def values(self) -> list[Deviation]:
        ours = self.call_off.model_dump(mode="json")
        theirs = self.framework.model_dump(mode="json")
        deviations: list[Deviation] = []
        for top in COMPARED:
            mine, frame = _at(ours, top), _at(theirs, top)
            if mine is None or frame is None:
                continue
            frame_leaves = dict(_leaves(frame, top))
            for path, value in _leaves(mine, top):
                if path not in frame_leaves or frame_leaves[path] == value:
                    continue
                deviations.append(
                    Deviation(
                        kind="value",
                        subject=".".join(map(str, path)),
                        framework_value=_text(frame_leaves[path]),
                        call_off_value=_text(value),
                    )
                )
        return deviations


def _role(role: str) -> str:
    return " ".join(role.split()).casefold()


def _at(data: Any, path: YamlPath) -> Any:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _leaves(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    else:
        yield path, value


def _text(value: Any) -> str | None:
    """A compared value as the schedule prints it; None when the spec does not state it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return (
            "; ".join(
                ", ".join(f"{k} {v}" for k, v in item.items())
                if isinstance(item, dict)
                else str(item)
                for item in value
            )
            or None
        )
    return str(value)


# -- what the commands print -----------------------------------------------------------


def deviation_rows(deviations: Iterable[Deviation]) -> list[dict[str, str | None]]:
    """The deviations as rows for `explain --deviations` (and its --json): kind, subject,
    what it is in words, the framework's value and the call-off's."""
    words = {
        "position": "position of slot {}",
        "added": "optional clause {} added",
        "dropped": "clause {} dropped",
        "value": "{}",
    }
    rows: list[dict[str, str | None]] = []
    for deviation in deviations:
        framework, call_off = deviation.framework_value, deviation.call_off_value
        if deviation.kind == "added":
            framework, call_off = "not included", "included"
        elif deviation.kind == "dropped":
            framework, call_off = "included", "excluded"
        rows.append(
            {
                "kind": deviation.kind,
                "subject": deviation.subject,
                "what": words[deviation.kind].format(deviation.subject),
                "framework": framework if framework is not None else "not stated",
                "call_off": call_off if call_off is not None else "not stated",
            }
        )
    return rows
