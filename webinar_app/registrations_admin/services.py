"""Organiser views of registrations: filtered lists, counts, CSV export, person links."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from webinar_app.core.audit import record_event
from webinar_app.core.csv import csv_lines
from webinar_app.extensions import db
from webinar_app.models import Module, Person, Registration, RegistrationStatus, Series

PAGE_SIZE = 50
STATUS_FILTERS = ("active", "registered", "waiting", "cancelled", "all")


@dataclass
class RegistrationFilter:
    """What the organiser asked to see."""

    module_number: int | None = None
    search: str = ""
    status: str = "active"
    country: str = ""
    organisation_type: str = ""
    page: int = 1


@dataclass
class RegistrationRow:
    registration: Registration
    person: Person
    module: Module
    position: int | None


def _filtered(series: Series, wanted: RegistrationFilter) -> Select:
    query = (
        select(Registration, Person, Module)
        .join(Person, Registration.person_id == Person.id)
        .join(Module, Registration.module_id == Module.id)
        .where(Module.series_id == series.id)
    )
    if wanted.module_number is not None:
        query = query.where(Module.number == wanted.module_number)
    if wanted.status == "active":
        query = query.where(Registration.status != RegistrationStatus.CANCELLED.value)
    elif wanted.status in ("registered", "waiting", "cancelled"):
        query = query.where(Registration.status == wanted.status)
    if wanted.country:
        query = query.where(Person.country == wanted.country)
    if wanted.organisation_type:
        query = query.where(Person.organisation_type == wanted.organisation_type)
    if wanted.search.strip():
        escaped = wanted.search.strip().lower().replace("\\", "\\\\")
        pattern = "%" + escaped.replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            func.lower(Person.full_name).like(pattern, escape="\\"),
            func.lower(Person.email).like(pattern, escape="\\"),
            func.lower(Person.organisation).like(pattern, escape="\\"),
        ))
    return query


def _waiting_positions(module_ids: Iterable[int]) -> dict[int, int]:
    """Waiting-list position of every waiting registration in these modules, by id."""
    ids = list(set(module_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Registration.id, Registration.module_id)
        .where(Registration.module_id.in_(ids),
               Registration.status == RegistrationStatus.WAITING.value)
        .order_by(Registration.module_id, Registration.queued_at, Registration.id)
    )
    positions: dict[int, int] = {}
    counters: dict[int, int] = {}
    for registration_id, module_id in rows:
        counters[module_id] = counters.get(module_id, 0) + 1
        positions[registration_id] = counters[module_id]
    return positions


def _rows(query: Select) -> list[RegistrationRow]:
    found = list(db.session.execute(query))
    positions = _waiting_positions(m.id for _r, _p, m in found)
    return [RegistrationRow(r, p, m, positions.get(r.id)) for r, p, m in found]


def _ordered(query: Select) -> Select:
    return query.order_by(Module.number, Registration.status, Registration.queued_at,
                          Registration.id)


def list_registrations(
    series: Series, wanted: RegistrationFilter
) -> tuple[list[RegistrationRow], int]:
    """One page of matching registrations and the number of matches."""
    query = _filtered(series, wanted)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(wanted.page, 1)
    rows = _rows(_ordered(query).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return rows, total


def count_by(series: Series, wanted: RegistrationFilter, column: str) -> list[tuple[str, int]]:
    """Matching registrations counted per person field ('country' or 'organisation_type')."""
    attribute = getattr(Person, column)
    query = _filtered(series, wanted).with_only_columns(attribute, func.count(Registration.id))
    query = query.group_by(attribute).order_by(func.count(Registration.id).desc(), attribute)
    return [(value or "", count) for value, count in db.session.execute(query)]


CSV_HEADER = (
    "module", "module_title", "status", "waiting_position", "full_name", "email",
    "organisation", "organisation_type", "country", "job_title", "language", "timezone",
    "queued_at_utc", "cancelled_at_utc", "attendance",
)


def record_registrations_export(series: Series, wanted: RegistrationFilter) -> None:
    """Record in the audit log that the registrations were exported, with how many people."""
    query = _filtered(series, wanted).with_only_columns(func.count(func.distinct(Person.id)))
    people = db.session.scalar(query) or 0
    record_event("export.registrations", series=series, people=people, summary=_(
        "Exported the registrations as CSV (%(num)s people)", num=people),
        details={"module_number": wanted.module_number, "status": wanted.status,
                 "filtered": bool(wanted.search), "people": people})


def registrations_csv(series: Series, wanted: RegistrationFilter) -> Iterator[str]:
    """UTF-8 CSV with a BOM (Excel reads it right), formula-looking cells neutralised."""
    return csv_lines(CSV_HEADER, _csv_rows(series, wanted))


def _csv_rows(series: Series, wanted: RegistrationFilter) -> Iterator[tuple]:
    for row in _rows(_ordered(_filtered(series, wanted))):
        r, p, m = row.registration, row.person, row.module
        yield (
            m.number, m.title, r.status, row.position or "", p.full_name, p.email or "",
            p.organisation, p.organisation_type, p.country, p.job_title, p.language,
            p.timezone, r.queued_at.isoformat(timespec="seconds"),
            r.cancelled_at.isoformat(timespec="seconds") if r.cancelled_at else "",
            r.attendance or "",
        )


def registration_in_series(series: Series, registration_id: int) -> Registration | None:
    """The registration if it belongs to the series."""
    return db.session.scalar(
        select(Registration).join(Module)
        .where(Registration.id == registration_id, Module.series_id == series.id)
    )


def person_in_series(series: Series, person_id: int) -> Person | None:
    return db.session.scalar(
        select(Person).where(Person.id == person_id, Person.series_id == series.id)
    )

