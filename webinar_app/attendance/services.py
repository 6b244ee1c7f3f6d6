"""Mark registrations attended or absent from a platform report, by hand, and count them.

Services never commit. A re-import of the same file gives the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import contains_eager

from webinar_app.attendance.parsers import (
    AttendanceReport,
    AttendanceRow,
    RowProblem,
    parse_attendance,
)
from webinar_app.core.audit import record_event
from webinar_app.core.module_life import (
    ModuleLifeError,
    Purpose,
    check_can_become_held,
    check_held,
)
from webinar_app.extensions import db
from webinar_app.i18n import sort_for_people
from webinar_app.models import (
    AttendanceUpload,
    Module,
    ModuleStatus,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    utcnow,
)
from webinar_app.schedule.services import mark_held

ATTENDED = "attended"
ABSENT = "absent"
ATTENDANCE_VALUES = (ATTENDED, ABSENT)

NO_EMAIL = "no_email"
NOT_REGISTERED = "not_registered"
CANCELLED = "cancelled"
TOO_SHORT = "too_short"

SLACK_MINUTES = 24 * 60
UPLOAD_LIFETIME = timedelta(hours=24)


class AttendanceError(ValueError):
    """A change that cannot be made, with the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UnmatchedRow:
    """A person in the report who could not be counted for a registration, and why."""

    name: str
    email: str
    minutes: int | None
    reason: str


@dataclass
class ImportResult:
    """What an import did, for the result page and the command's one-line count."""

    platform: str
    people_in_file: int = 0
    attended: int = 0
    absent: int = 0
    unmatched: list[UnmatchedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    kept: int = 0
    marked_held: bool = False
    followups_queued: int = 0

    def summary(self) -> str:
        """One line for the terminal."""
        line = (
            f"{self.platform}: {self.people_in_file} people in the file; "
            f"{self.attended} attended, {self.absent} absent, {len(self.unmatched)} unmatched."
        )
        if self.problems:
            line += (f" {len(self.problems)} lines left out; "
                     f"{self.kept} registrations kept as they were.")
        if self.marked_held:
            line += (f" The module is now marked as held; {self.followups_queued} follow-up "
                     "emails queued.")
        return line


@dataclass(frozen=True)
class Change:
    """One registration whose attendance an import changes."""

    registration_id: int
    name: str
    email: str
    old: str | None
    new: str | None


@dataclass
class AttendancePlan:
    """What an import would do, before anything is written: the new value of every registration
    and the result to show."""

    module: Module
    result: ImportResult
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    has_existing: bool = False
    kept_names: list[str] = field(default_factory=list)
    _targets: dict[int, tuple[Registration, str | None]] = field(default_factory=dict,
                                                                  repr=False)

    @property
    def needs_confirmation(self) -> bool:
        """Whether it would change attendance that is already recorded."""
        return self.has_existing and bool(self.changes)

    def moved(self, old: str | None, new: str | None) -> list[Change]:
        """The changes from one value to another."""
        return [c for c in self.changes if c.old == old and c.new == new]

    @property
    def to_absent(self) -> list[Change]:
        return self.moved(ATTENDED, ABSENT)

    @property
    def to_attended(self) -> list[Change]:
        return self.moved(ABSENT, ATTENDED)

    @property
    def new_attended(self) -> list[Change]:
        return self.moved(None, ATTENDED)

    @property
    def new_absent(self) -> list[Change]:
        return self.moved(None, ABSENT)

    @property
    def cleared(self) -> list[Change]:
        return [c for c in self.changes if c.old is not None and c.new is None]

    @property
    def digest(self) -> str:
        """A fingerprint of the changes: the confirmation applies only what was previewed."""
        text = ";".join(f"{c.registration_id}:{c.old}>{c.new}" for c in self.changes)
        return hashlib.sha256(text.encode()).hexdigest()

    def change_lines(self) -> list[str]:
        """The changes for the terminal, one line per kind, with the names moved."""
        lines = []
        for label, changes in (
            ("attended -> absent", self.to_absent), ("absent -> attended", self.to_attended),
            ("not recorded -> attended", self.new_attended),
            ("not recorded -> absent", self.new_absent),
            ("recorded -> not recorded", self.cleared),
        ):
            if changes:
                names = ", ".join(f"{c.name} <{c.email}>" for c in changes)
                lines.append(f"{label}: {len(changes)} ({names})")
        lines.append(f"unchanged: {self.unchanged}")
        return lines


@dataclass(frozen=True)
class ModuleAttendance:
    """Counts of one module for the organiser pages and reports."""

    module: Module
    registered: int
    attended: int
    absent: int

    @property
    def not_recorded(self) -> int:
        return max(self.registered - self.attended - self.absent, 0)

    @property
    def has_data(self) -> bool:
        return self.attended + self.absent > 0

    @property
    def rate(self) -> float | None:
        """Share of the registered who attended, once attendance is recorded."""
        if not self.has_data or self.registered == 0:
            return None
        return self.attended / self.registered

    @property
    def rate_percent(self) -> str:
        return "–" if self.rate is None else f"{round(self.rate * 100)} %"


def _registrations_by_email(module: Module) -> dict[str, Registration]:
    query = (
        select(Registration)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.module_id == module.id, Person.email.is_not(None))
        .order_by(Registration.id)
    )
    found: dict[str, Registration] = {}
    for registration in db.session.scalars(query):
        email = (registration.person.email or "").strip().lower()
        if email:
            current = found.get(email)
            if current is None or current.status == RegistrationStatus.CANCELLED:
                found[email] = registration
    return found


def _find(by_email: dict[str, Registration], row: AttendanceRow) -> Registration | None:
    return by_email.get(row.email) or (by_email.get(row.alt_email) if row.alt_email else None)


def check_import_possible(module: Module) -> None:
    """Attendance is imported only for a module whose end has passed (and not cancelled)."""
    try:
        check_can_become_held(module, Purpose.ATTENDANCE)
    except ModuleLifeError as error:
        raise AttendanceError("file", error.message) from error


def read_report(module: Module, data: bytes) -> AttendanceReport:
    """The module's report: a stay longer than the module plus a day is impossible."""
    check_import_possible(module)
    return parse_attendance(data, max_minutes=module.duration_minutes + SLACK_MINUTES)


def plan_attendance(
    module: Module, report: AttendanceReport, *, min_minutes: int = 0,
    progress: Callable[[int], object] | None = None,
) -> AttendancePlan:
    """Decide each registration: attended or absent from the report, unchanged when its rows
    were left out; list what did not match. Nothing is written.

    Matching is by email, case-insensitively (Teams' sign-in name counts too). A person who
    attended less than min_minutes counts as absent. `progress(n)` is called per row handled.
    """
    check_import_possible(module)
    if min_minutes < 0:
        raise AttendanceError("min_minutes", _("The minimum cannot be negative."))
    by_email = _registrations_by_email(module)
    result = ImportResult(report.platform, people_in_file=len(report.rows) + len(report.guests),
                          problems=list(report.problems))
    present: set[int] = set()
    for row in report.rows:
        registration = _find(by_email, row)
        if progress:
            progress(1)
        if not row.attended:
            continue
        if registration is None:
            result.unmatched.append(UnmatchedRow(row.name, row.email, row.minutes,
                                                 NOT_REGISTERED))
        elif registration.status == RegistrationStatus.CANCELLED:
            result.unmatched.append(UnmatchedRow(row.name, row.email, row.minutes, CANCELLED))
        elif min_minutes and row.minutes is not None and row.minutes < min_minutes:
            result.unmatched.append(UnmatchedRow(row.name, row.email, row.minutes, TOO_SHORT))
        else:
            present.add(registration.id)
    for guest in report.guests:
        if progress:
            progress(1)
        result.unmatched.append(UnmatchedRow(guest.name, "", guest.minutes, NO_EMAIL))
    kept = {by_email[email].id for email in report.held_back if email in by_email}
    plan = AttendancePlan(module, result)
    for registration in _module_registrations(module):
        plan.has_existing = plan.has_existing or registration.attendance is not None
        if registration.id in present:
            new = ATTENDED
        elif registration.id in kept:
            new = registration.attendance
            plan.kept_names.append(registration.person.full_name)
        elif registration.status == RegistrationStatus.REGISTERED:
            new = ABSENT
        else:
            new = None
        result.attended += new == ATTENDED
        result.absent += new == ABSENT
        plan._targets[registration.id] = (registration, new)
        if new == registration.attendance:
            plan.unchanged += 1
        else:
            plan.changes.append(Change(registration.id, registration.person.full_name,
                                       registration.person.email or "",
                                       registration.attendance, new))
    result.kept = len(plan.kept_names)
    return plan


def apply_plan(plan: AttendancePlan) -> ImportResult:
    """Write the planned attendance; a module not yet marked held becomes held (which queues
    the follow-ups of a published summary). The result says what was done."""
    check_import_possible(plan.module)
    for registration, new in plan._targets.values():
        registration.attendance = new
    db.session.flush()
    result = plan.result
    record_event("attendance.imported", module=plan.module, people=len(plan._targets), summary=_(
        "Imported the attendance of module %(number)s: %(attended)s attended, %(absent)s "
        "absent, %(changed)s changed", number=plan.module.number, attended=result.attended,
        absent=result.absent, changed=len(plan.changes)), details={
        "platform": result.platform, "attended": result.attended, "absent": result.absent,
        "unmatched": len(result.unmatched), "changed": len(plan.changes)})
    if plan.module.status != ModuleStatus.HELD:
        plan.result.followups_queued = mark_held(plan.module)
        plan.result.marked_held = True
    return plan.result


def hold_upload(module: Module, user_id: int | None, file_name: str, data: bytes,
                min_minutes: int) -> AttendanceUpload:
    """Keep a re-import's file until the organiser confirms; forget stale ones."""
    db.session.execute(delete(AttendanceUpload).where(
        (AttendanceUpload.created_at < utcnow() - UPLOAD_LIFETIME)
        | ((AttendanceUpload.module_id == module.id)
           & (AttendanceUpload.uploaded_by_id == user_id))
    ))
    upload = AttendanceUpload(module=module, uploaded_by_id=user_id,
                              file_name=(file_name or "")[:255], data=data,
                              min_minutes=min_minutes)
    db.session.add(upload)
    db.session.flush()
    return upload


def held_upload(module: Module, upload_id: int, user_id: int | None) -> AttendanceUpload | None:
    """The user's upload waiting for confirmation on this module, unless stale."""
    return db.session.scalar(select(AttendanceUpload).where(
        AttendanceUpload.id == upload_id, AttendanceUpload.module_id == module.id,
        AttendanceUpload.uploaded_by_id == user_id,
        AttendanceUpload.created_at >= utcnow() - UPLOAD_LIFETIME,
    ))


def discard_upload(upload: AttendanceUpload) -> None:
    """Forget an upload once applied or cancelled."""
    db.session.delete(upload)
    db.session.flush()


def _module_registrations(module: Module) -> list[Registration]:
    return list(db.session.scalars(
        select(Registration).where(Registration.module_id == module.id,
                                   Registration.status != RegistrationStatus.CANCELLED.value)
    ))


def set_attendance(registration: Registration, value: str | None) -> None:
    """Correct one registration by hand: attended, absent, or not recorded (None)."""
    try:
        check_held(registration.module, Purpose.ATTENDANCE)
    except ModuleLifeError as error:
        raise AttendanceError("attendance", error.message) from error
    if value is not None and value not in ATTENDANCE_VALUES:
        raise AttendanceError("attendance", _("Choose attended or absent."))
    if registration.status == RegistrationStatus.CANCELLED and value is not None:
        raise AttendanceError("attendance", _("A cancelled registration has no attendance."))
    registration.attendance = value
    db.session.flush()


def module_registrations(module: Module) -> list[Registration]:
    """The module's registered and waiting people, for the correction list: by status, then
    by name in the reader's alphabetical order."""
    found = db.session.scalars(
        select(Registration)
        .join(Person, Registration.person_id == Person.id)
        .options(contains_eager(Registration.person))
        .where(Registration.module_id == module.id,
               Registration.status != RegistrationStatus.CANCELLED.value)
        .order_by(Registration.status, Registration.id)
    )
    by_name = sort_for_people(found, key=lambda r: r.person.full_name)
    return sorted(by_name, key=lambda r: r.status)


def registration_in_module(module: Module, registration_id: int) -> Registration | None:
    """The registration if it belongs to the module."""
    return db.session.scalar(select(Registration).where(
        Registration.id == registration_id, Registration.module_id == module.id))


def attendance_by_module(series: Series) -> list[ModuleAttendance]:
    """Registered, attended and absent per module of the series, in module order."""
    counts: dict[int, dict[str, int]] = {}
    query = (
        select(Registration.module_id, Registration.status, Registration.attendance, func.count())
        .join(Module, Registration.module_id == Module.id)
        .where(Module.series_id == series.id)
        .group_by(Registration.module_id, Registration.status, Registration.attendance)
    )
    for module_id, status, attendance, n in db.session.execute(query):
        entry = counts.setdefault(module_id, {"registered": 0, ATTENDED: 0, ABSENT: 0})
        if status == RegistrationStatus.REGISTERED:
            entry["registered"] += n
        if status != RegistrationStatus.CANCELLED and attendance in ATTENDANCE_VALUES:
            entry[attendance] += n
    return [
        ModuleAttendance(m, c["registered"], c[ATTENDED], c[ABSENT])
        for m in series.modules
        for c in [counts.get(m.id, {"registered": 0, ATTENDED: 0, ABSENT: 0})]
    ]


def module_attendance(module: Module) -> ModuleAttendance:
    """The counts of one module."""
    return next(a for a in attendance_by_module(module.series) if a.module.id == module.id)
