"""Load the demo series and the demo organiser; never commits, the caller does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from webinar_app.auth.services import create_user
from webinar_app.demo import data
from webinar_app.demo.pdf import count_pages, render_note_pdf
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Module,
    ModuleStatus,
    Role,
    Series,
    Speaker,
    User,
)


@dataclass(frozen=True)
class SeedResult:
    """What seed_demo did, for the one-line summary."""

    series_created: bool
    user_created: bool
    skipped_reason: str = ""
    modules: int = 0
    agenda_items: int = 0
    notes: int = 0

    def summary(self) -> str:
        """One line for the terminal."""
        user = (
            f"demo organiser {data.DEMO_ORGANISER_EMAIL} "
            + ("created" if self.user_created else "already exists")
        )
        if not self.series_created:
            return f"Demo series not loaded ({self.skipped_reason}); {user}."
        return (
            f"Loaded demo series {data.DEMO_SLUG}: {self.modules} modules, "
            f"{self.agenda_items} agenda items, {self.notes} background notes; {user}."
        )


def module_start_times(today: date, count: int = len(data.MODULES)) -> list[datetime]:
    """UTC starts: 14:00 Brussels on a Wednesday about three weeks after today, then every
    four weeks."""
    tz = ZoneInfo(data.SERIES["timezone"])
    first = today + timedelta(days=data.FIRST_MODULE_AFTER_DAYS)
    first += timedelta(days=(data.MEETING_WEEKDAY - first.weekday()) % 7)
    days = [first + timedelta(days=data.DAYS_BETWEEN_MODULES * i) for i in range(count)]
    return [
        datetime.combine(day, time(data.LOCAL_START_HOUR), tzinfo=tz).astimezone(UTC)
        for day in days
    ]


def ensure_demo_user() -> tuple[User, bool]:
    """The demo organiser, created with the demo password if missing."""
    user = db.session.scalar(select(User).where(User.email == data.DEMO_ORGANISER_EMAIL))
    if user is not None:
        return user, False
    user = create_user(data.DEMO_ORGANISER_EMAIL, data.DEMO_ORGANISER_PASSWORD, Role.ORGANISER)
    return user, True


def build_demo_series(now: datetime) -> Series:
    """The 4Ps series with its modules, agendas and background notes, added to the session."""
    series = Series(**data.SERIES)
    today = now.astimezone(ZoneInfo(series.timezone)).date()
    opens_at = now.replace(second=0, microsecond=0)
    for demo, starts_at in zip(data.MODULES, module_start_times(today), strict=True):
        module = Module(
            number=demo.number,
            pillar=demo.pillar,
            title=demo.title,
            thematic_focus=demo.thematic_focus,
            pillar_fr=demo.pillar_fr,
            title_fr=demo.title_fr,
            thematic_focus_fr=demo.thematic_focus_fr,
            description=demo.description,
            starts_at=starts_at,
            duration_minutes=data.DURATION_MINUTES,
            status=ModuleStatus.SCHEDULED.value,
            capacity=demo.capacity,
            registration_opens_at=opens_at,
            registration_closes_at=starts_at,
            join_url=demo.join_url,
        )
        module.agenda_items = [_agenda_item(position, item) for position, item in
                               enumerate(demo.agenda)]
        module.notes = [_note(demo, series)]
        series.modules.append(module)
    db.session.add(series)
    db.session.flush()
    return series


def _agenda_item(position: int, item: data.DemoAgendaItem) -> AgendaItem:
    return AgendaItem(
        position=position,
        start_offset_minutes=item.offset_minutes,
        kind=item.kind,
        title=item.title,
        speakers=[
            Speaker(position=i, name="", role=s.role, organisation=s.organisation)
            for i, s in enumerate(item.speakers)
        ],
    )


def _note(demo: data.DemoModule, series: Series) -> BackgroundNote:
    pdf = render_note_pdf(demo, series.title, series.organiser)
    return BackgroundNote(
        position=0,
        title=demo.note.title,
        language="en",
        abstract=demo.note.abstract,
        is_published=True,
        is_prereading=True,
        file_name=f"module-{demo.number}-{demo.pillar.lower()}-background-note-demo.pdf",
        file_size=len(pdf),
        file_sha256=hashlib.sha256(pdf).hexdigest(),
        file_pages=count_pages(pdf),
        file_data=pdf,
    )


def seed_demo(now: datetime | None = None, *, only_if_empty: bool = False) -> SeedResult:
    """Load the demo series unless it (or, with only_if_empty, any series) exists; make sure
    the demo organiser exists."""
    now = now or datetime.now(UTC)
    _, user_created = ensure_demo_user()
    if db.session.scalar(select(Series.id).where(Series.slug == data.DEMO_SLUG)):
        return SeedResult(False, user_created, "it is already there, nothing changed")
    if only_if_empty and db.session.scalar(select(func.count()).select_from(Series)):
        return SeedResult(False, user_created, "the database already holds a series")
    series = build_demo_series(now)
    return SeedResult(
        True,
        user_created,
        modules=len(series.modules),
        agenda_items=sum(len(m.agenda_items) for m in series.modules),
        notes=sum(len(m.notes) for m in series.modules),
    )


from webinar_app.demo.edition_2021 import with_edition_2021  # noqa: E402  (the held 2021 edition)

seed_demo = with_edition_2021(seed_demo)
