"""Mark registrations attended or absent from a platform report, by hand, and count them.

Services never commit. A re-import of the same file gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from webinar_app.attendance.parsers import AttendanceReport, AttendanceRow
from webinar_app.extensions import db
from webinar_app.models import Module, Person, Registration, RegistrationStatus, Series

ATTENDED = "attended"
ABSENT = "absent"
ATTENDANCE_VALUES = (ATTENDED, ABSENT)

NO_EMAIL = "no_email"
NOT_REGISTERED = "not_registered"
CANCELLED = "cancelled"
TOO_SHORT = "too_short"


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

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.platform}: {self.people_in_file} people in the file; "
            f"{self.attended} attended, {self.absent} absent, {len(self.unmatched)} unmatched."
        )


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


def import_attendance(
    module: Module, report: AttendanceReport, *, min_minutes: int = 0, progress=None
) -> ImportResult:
    """Mark each registered person attended or absent from the report; list what did not match.

    Matching is by email, case-insensitively (Teams' sign-in name counts too). A person who
    attended less than min_minutes counts as absent. `progress(n)` is called per row handled.
    """
    if min_minutes < 0:
        raise AttendanceError("min_minutes", _("The minimum cannot be negative."))
    by_email = _registrations_by_email(module)
    result = ImportResult(report.platform, people_in_file=len(report.rows) + len(report.guests))
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
    for registration in _module_registrations(module):
        if registration.id in present:
            registration.attendance = ATTENDED
            result.attended += 1
        elif registration.status == RegistrationStatus.REGISTERED:
            registration.attendance = ABSENT
            result.absent += 1
        else:
            registration.attendance = None
    db.session.flush()
    return result


def _module_registrations(module: Module) -> list[Registration]:
    return list(db.session.scalars(
        select(Registration).where(Registration.module_id == module.id,
                                   Registration.status != RegistrationStatus.CANCELLED.value)
    ))


def set_attendance(registration: Registration, value: str | None) -> None:
    """Correct one registration by hand: attended, absent, or not recorded (None)."""
    if value is not None and value not in ATTENDANCE_VALUES:
        raise AttendanceError("attendance", _("Choose attended or absent."))
    if registration.status == RegistrationStatus.CANCELLED and value is not None:
        raise AttendanceError("attendance", _("A cancelled registration has no attendance."))
    registration.attendance = value
    db.session.flush()


def module_registrations(module: Module) -> list[Registration]:
    """The module's registered and waiting people, for the correction list."""
    return list(db.session.scalars(
        select(Registration)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.module_id == module.id,
               Registration.status != RegistrationStatus.CANCELLED.value)
        .order_by(Registration.status, func.lower(Person.full_name), Registration.id)
    ))


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
