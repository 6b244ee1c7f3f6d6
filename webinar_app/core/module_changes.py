"""What a change to a module does to the calendar entries people hold.

A person's calendar entry shows the module's SUMMARY (number, pillar and title, in English or
French), its time (start and duration) and its join link. A change of any of these raises the
module's SEQUENCE and sends registrants an update; other fields (capacity, description, notes...)
change nothing in their calendars and send nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webinar_app.i18n import localized
from webinar_app.models import Module
from webinar_app.models.schedule import end_of


@dataclass(frozen=True)
class CalendarFields:
    """The parts of a module that people's calendar entries show."""

    number: int
    pillar: str
    pillar_fr: str | None
    title: str
    title_fr: str | None
    starts_at: datetime | None
    duration_minutes: int
    join_url: str

    @classmethod
    def of(cls, module: Module) -> CalendarFields:
        """The module's current calendar fields."""
        return cls(
            number=module.number,
            pillar=module.pillar or "",
            pillar_fr=module.pillar_fr or None,
            title=module.title or "",
            title_fr=module.title_fr or None,
            starts_at=module.starts_at,
            duration_minutes=module.duration_minutes,
            join_url=module.join_url or "",
        )

    @property
    def ends_at(self) -> datetime | None:
        """The end, computed in UTC."""
        return end_of(self.starts_at, self.duration_minutes)

    def has_same_time(self, other: CalendarFields) -> bool:
        """True when start and duration are the same."""
        return (self.starts_at, self.duration_minutes) == (other.starts_at, other.duration_minutes)

    def has_same_summary(self, other: CalendarFields) -> bool:
        """True when the SUMMARY (number, pillar, title, in both languages) is the same."""
        names = ("number", "pillar", "pillar_fr", "title", "title_fr")
        return all(getattr(self, name) == getattr(other, name) for name in names)


@dataclass
class ModuleChange:
    """What one change did to a module: its calendar fields before and after, the registration
    window moved along with the start, and how many people were emailed."""

    previous: CalendarFields
    current: CalendarFields
    moved_opens_at: datetime | None = None
    moved_closes_at: datetime | None = None
    registered_emailed: int = 0
    waiting_emailed: int = 0

    @property
    def is_time_changed(self) -> bool:
        """True when the start or the duration changed."""
        return not self.previous.has_same_time(self.current)

    @property
    def is_title_changed(self) -> bool:
        """True when the SUMMARY changed in English or French."""
        return not self.previous.has_same_summary(self.current)

    @property
    def is_link_changed(self) -> bool:
        """True when the join link changed."""
        return self.previous.join_url != self.current.join_url

    @property
    def is_calendar_changed(self) -> bool:
        """True when people's calendar entries must be updated."""
        return self.is_time_changed or self.is_title_changed or self.is_link_changed

    def matters_in(self, language: str) -> bool:
        """True when a calendar entry in this language shows something new."""
        if self.is_time_changed or self.is_link_changed:
            return True
        return _summary_parts(self.previous, language) != _summary_parts(self.current, language)

def _summary_parts(fields: CalendarFields, language: str) -> tuple[int, str, str]:
    return (
        fields.number,
        localized(fields, "pillar", language),
        localized(fields, "title", language),
    )
