"""The series cockpit: each stage of a series' life as display-ready figures.

Every figure comes from a few aggregate queries over the whole series (never one per module).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from webinar_app import timefmt
from webinar_app.core import module_life
from webinar_app.extensions import db
from webinar_app.models import BackgroundNote, Module, ModuleStatus, Series
from webinar_app.models.attendance import AttendanceUpload
from webinar_app.models.invitation import Campaign, CampaignSend, InvitationOptOut, Invitee
from webinar_app.models.outbox import OutboxMessage, OutboxStatus
from webinar_app.models.reader import ReaderBuild
from webinar_app.models.registration import Person, Registration, RegistrationStatus
from webinar_app.models.summary import CommentKind, Summary, SummaryComment, SummaryState
from webinar_app.models.user import Role, User

STUCK_AFTER_MINUTES = 30


@dataclass(frozen=True)
class OutboxFigures:
    """Emails of a series per delivery state."""

    sent: int = 0
    waiting: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Cockpit:
    """Every stage of one series, ready for the template."""

    module_count: int
    scheduled: int
    held: int
    cancelled: int
    draft: int
    next_module: Module | None
    modules_with_notes: int
    invited: OutboxFigures
    opted_out: int
    people: int
    waiting: int
    reminders: OutboxFigures
    ended_without_attendance: list[Module]
    modules_with_attendance: int
    summaries_published: int
    summaries_in_review: int
    summaries_draft: int
    summaries_approved: int
    first_summary_module: Module | None
    followups: OutboxFigures
    first_held_module: Module | None
    reader_builds: int
    reader_published_number: int | None
    emails: OutboxFigures
    first_module_without_note: Module | None = None


def _figures(rows: dict[str, int]) -> OutboxFigures:
    return OutboxFigures(
        sent=rows.get(OutboxStatus.SENT, 0),
        waiting=rows.get(OutboxStatus.QUEUED, 0) + rows.get(OutboxStatus.SENDING, 0),
        failed=rows.get(OutboxStatus.FAILED, 0),
    )


def _outbox_by_kind(series: Series) -> dict[str, dict[str, int]]:
    rows = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.series_id == series.id)
        .group_by(OutboxMessage.kind, OutboxMessage.status)
    ).all()
    by_kind: dict[str, dict[str, int]] = {}
    for kind, status, n in rows:
        by_kind.setdefault(kind, {})[status] = n
    return by_kind


def _merged(by_kind: dict[str, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in by_kind.values():
        for status, n in counts.items():
            total[status] = total.get(status, 0) + n
    return total


def _invitation_figures(series: Series) -> OutboxFigures:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(func.distinct(CampaignSend.invitee_id)))
        .join(OutboxMessage, OutboxMessage.id == CampaignSend.outbox_message_id)
        .join(Campaign, Campaign.id == CampaignSend.campaign_id)
        .where(Campaign.series_id == series.id)
        .group_by(OutboxMessage.status)
    ).all()
    return _figures(dict(rows))


def _opted_out(series: Series) -> int:
    return db.session.scalar(
        select(func.count(Invitee.id)).where(
            Invitee.series_id == series.id,
            (Invitee.opted_out_at.is_not(None))
            | Invitee.email.in_(select(InvitationOptOut.email)),
        )
    ) or 0


def _registration_figures(series: Series) -> tuple[int, int]:
    registered = Registration.status == RegistrationStatus.REGISTERED
    waiting = Registration.status == RegistrationStatus.WAITING
    row = db.session.execute(
        select(
            func.count(func.distinct(case((registered, Registration.person_id)))),
            func.count(case((waiting, Registration.id))),
        )
        .join(Person, Person.id == Registration.person_id)
        .where(Person.series_id == series.id)
    ).one()
    return row[0] or 0, row[1] or 0


def _module_ids_with(series: Series) -> tuple[set[int], set[int]]:
    """Modules that have a background note, and modules with attendance recorded."""
    module_ids = select(Module.id).where(Module.series_id == series.id)
    with_notes = set(db.session.scalars(
        select(BackgroundNote.module_id).where(BackgroundNote.module_id.in_(module_ids)).distinct()
    ))
    with_attendance = set(db.session.scalars(
        select(AttendanceUpload.module_id)
        .where(AttendanceUpload.module_id.in_(module_ids)).distinct()
        .union(select(Registration.module_id)
               .where(Registration.module_id.in_(module_ids),
                      Registration.attendance.is_not(None)).distinct())
    ))
    return with_notes, with_attendance


def _summary_states(series: Series) -> dict[int, str]:
    return dict(db.session.execute(
        select(Summary.module_id, Summary.state)
        .join(Module, Module.id == Summary.module_id)
        .where(Module.series_id == series.id)
    ).all())


def _reader(series: Series) -> tuple[int, int | None]:
    row = db.session.execute(
        select(
            func.count(ReaderBuild.id),
            func.max(case((ReaderBuild.is_published, ReaderBuild.number))),
        ).where(ReaderBuild.series_id == series.id)
    ).one()
    return row[0] or 0, row[1]


def next_module(modules: list[Module], now: datetime) -> Module | None:
    """The first scheduled module that has not started yet."""
    upcoming = [m for m in modules if m.status == ModuleStatus.SCHEDULED
                and m.starts_at is not None and m.starts_at > now]
    return min(upcoming, key=lambda m: m.starts_at) if upcoming else None


def series_cockpit(series: Series, now: datetime | None = None) -> Cockpit:
    """Figures of every stage of the series, from a constant number of queries."""
    now = now or timefmt.now_utc()
    modules = list(series.modules)
    statuses = [m.status for m in modules]
    with_notes, with_attendance = _module_ids_with(series)
    states = _summary_states(series)
    by_kind = _outbox_by_kind(series)
    people, waiting = _registration_figures(series)
    builds, published = _reader(series)
    held = [m for m in modules if module_life.is_held(m)]
    ended = [m for m in modules if m.status != ModuleStatus.CANCELLED
             and module_life.has_ended(m, now)]
    live = [m for m in modules if m.status != ModuleStatus.CANCELLED]
    with_summary = [m for m in modules if m.id in states]
    return Cockpit(
        module_count=len(modules),
        scheduled=statuses.count(ModuleStatus.SCHEDULED),
        held=len(held),
        cancelled=statuses.count(ModuleStatus.CANCELLED),
        draft=statuses.count(ModuleStatus.DRAFT),
        next_module=next_module(modules, now),
        modules_with_notes=sum(1 for m in live if m.id in with_notes),
        first_module_without_note=next((m for m in live if m.id not in with_notes), None),
        invited=_invitation_figures(series),
        opted_out=_opted_out(series),
        people=people,
        waiting=waiting,
        reminders=_figures(by_kind.get("reminder", {})),
        ended_without_attendance=[m for m in ended if m.id not in with_attendance],
        modules_with_attendance=sum(1 for m in modules if m.id in with_attendance),
        summaries_published=sum(1 for s in states.values() if s == SummaryState.PUBLISHED),
        summaries_in_review=sum(1 for s in states.values() if s == SummaryState.IN_REVIEW),
        summaries_draft=sum(1 for s in states.values() if s == SummaryState.DRAFT),
        summaries_approved=sum(1 for s in states.values() if s == SummaryState.APPROVED),
        first_summary_module=(with_summary or modules or [None])[0],
        followups=_figures(by_kind.get("followup", {})),
        first_held_module=held[0] if held else None,
        reader_builds=builds,
        reader_published_number=published,
        emails=_figures(_merged(by_kind)),
    )


@dataclass(frozen=True)
class SeriesAttention:
    """One series on the organiser home: its next event and what needs attention."""

    series: Series
    module_count: int
    next_module: Module | None
    failed_emails: int
    stuck_emails: int
    in_review: list[Module]
    ended_without_attendance: list[Module]

    @property
    def needs_attention(self) -> bool:
        return bool(self.failed_emails or self.stuck_emails or self.in_review
                    or self.ended_without_attendance)


def home_overview(all_series: list[Series], now: datetime | None = None) -> list[SeriesAttention]:
    """For each series, the next module and anything needing attention (four queries in all)."""
    now = now or timefmt.now_utc()
    ids = [s.id for s in all_series]
    if not ids:
        return []
    failed = dict(db.session.execute(
        select(OutboxMessage.series_id, func.count(OutboxMessage.id))
        .where(OutboxMessage.series_id.in_(ids), OutboxMessage.status == OutboxStatus.FAILED)
        .group_by(OutboxMessage.series_id)
    ).all())
    stuck = _stuck_counts(ids, now)
    modules = db.session.scalars(
        select(Module).where(Module.series_id.in_(ids)).order_by(Module.number)
    ).all()
    module_ids = [m.id for m in modules]
    in_review = set(db.session.scalars(
        select(Summary.module_id).where(Summary.module_id.in_(module_ids),
                                        Summary.state == SummaryState.IN_REVIEW)
    ))
    with_attendance = set(db.session.scalars(
        select(Registration.module_id)
        .where(Registration.module_id.in_(module_ids), Registration.attendance.is_not(None))
        .distinct()
        .union(select(AttendanceUpload.module_id)
               .where(AttendanceUpload.module_id.in_(module_ids)).distinct())
    ))
    result = []
    for series in all_series:
        own = [m for m in modules if m.series_id == series.id]
        result.append(SeriesAttention(
            series=series,
            module_count=len(own),
            next_module=next_module(own, now),
            failed_emails=failed.get(series.id, 0),
            stuck_emails=stuck.get(series.id, 0),
            in_review=[m for m in own if m.id in in_review],
            ended_without_attendance=[
                m for m in own if m.status != ModuleStatus.CANCELLED
                and module_life.has_ended(m, now) and m.id not in with_attendance
            ],
        ))
    return result


def _stuck_counts(ids: list[int], now: datetime) -> dict[int, int]:
    """Emails due for more than STUCK_AFTER_MINUTES and still not sent, per series."""
    before = now - timedelta(minutes=STUCK_AFTER_MINUTES)
    return dict(db.session.execute(
        select(OutboxMessage.series_id, func.count(OutboxMessage.id))
        .where(OutboxMessage.series_id.in_(ids),
               OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
               OutboxMessage.next_attempt_at < before)
        .group_by(OutboxMessage.series_id)
    ).all())


@dataclass(frozen=True)
class AwaitingSummary:
    """A summary that waits for this user: to review, to publish, to rework or to finish."""

    series: Series
    module: Module
    kind: str  # "review", "publish", "sent_back" or "draft"


AWAITING_ORDER = ("review", "publish", "sent_back", "draft")


def _roles_in(user: User, series: Series) -> tuple[bool, bool]:
    """(may review, may edit) in the series, from the global role or the series role."""
    series_role = user.role_in_series(series.id)
    may_review = user.role in (Role.ADMIN, Role.REVIEWER) or series_role == Role.REVIEWER
    may_edit = user.role in (Role.ADMIN, Role.ORGANISER) or series_role == Role.ORGANISER
    return may_review, may_edit


def _summary_kind(state: str, submitted_at: datetime | None, sent_back_at: datetime | None,
                  may_review: bool, may_edit: bool) -> str | None:
    if state == SummaryState.IN_REVIEW:
        return "review" if may_review else None
    if state == SummaryState.APPROVED:
        return "publish" if may_review else None
    if state != SummaryState.DRAFT or not may_edit:
        return None
    was_sent_back = sent_back_at is not None and (submitted_at is None
                                                  or sent_back_at >= submitted_at)
    return "sent_back" if was_sent_back else "draft"


def awaiting_summaries(all_series: list[Series], user: User) -> list[AwaitingSummary]:
    """Summaries waiting for this user across the series they see (two queries)."""
    if not all_series:
        return []
    by_id = {s.id: s for s in all_series}
    sent_back = (
        select(SummaryComment.summary_id, func.max(SummaryComment.created_at).label("at"))
        .where(SummaryComment.kind == CommentKind.SENT_BACK.value)
        .group_by(SummaryComment.summary_id).subquery()
    )
    rows = db.session.execute(
        select(Module, Summary.state, Summary.submitted_at, sent_back.c.at)
        .join(Summary, Summary.module_id == Module.id)
        .outerjoin(sent_back, sent_back.c.summary_id == Summary.id)
        .where(Module.series_id.in_(list(by_id)),
               Summary.state != SummaryState.PUBLISHED.value)
        .order_by(Module.series_id, Module.number)
    ).all()
    roles = {series_id: _roles_in(user, series) for series_id, series in by_id.items()}
    items = []
    for module, state, submitted_at, sent_back_at in rows:
        kind = _summary_kind(state, submitted_at, sent_back_at, *roles[module.series_id])
        if kind is not None:
            items.append(AwaitingSummary(by_id[module.series_id], module, kind))
    return sorted(items, key=lambda item: AWAITING_ORDER.index(item.kind))
