"""Where a module is in its life: draft, scheduled, cancelled, and once its end has passed, held.

Attendance, follow-ups and certificates exist only for held modules. A module can be marked held
(by the organiser, or by an attendance import) only once its end has passed. Each refusal here
says why and when the thing becomes possible, in one sentence for a page or the command line.

The registration window is here too, once: `registration_closed_reason` is the rule the
registration service, the public pages and the API all apply.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webinar_app import timefmt
from webinar_app.models import Module, ModuleStatus


class Purpose(StrEnum):
    """What an organiser (or participant) wants to do that needs a held module."""

    ATTENDANCE = "attendance"
    HELD = "held"
    FOLLOWUPS = "followups"
    CERTIFICATE = "certificate"


class ModuleLifeError(ValueError):
    """The module is not at the point of its life this needs; the message says why and when."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_ended(module: Module, now: datetime | None = None) -> bool:
    """True once the module's end (start + duration) has passed."""
    ends_at = module.ends_at
    return ends_at is not None and ends_at <= (now or timefmt.now_utc())


def registration_closed_reason(module: Module, now: datetime | None = None) -> str | None:
    """Why registration for the module is closed ('not_open', 'closed', 'started',
    'cancelled', 'held', 'draft'), or None when it is open.

    The window is [registration_opens_at, registration_closes_at): it opens at its opening
    instant (inclusive) and is closed from its closing instant on (exclusive), and it closes
    at the latest when the module starts. A missing bound does not limit the window.
    """
    now = now or timefmt.now_utc()
    if module.status == ModuleStatus.CANCELLED:
        return "cancelled"
    if module.status == ModuleStatus.HELD:
        return "held"
    if module.status == ModuleStatus.DRAFT or module.starts_at is None:
        return "draft"
    if module.starts_at <= now:
        return "started"
    if module.registration_opens_at and now < module.registration_opens_at:
        return "not_open"
    if module.registration_closes_at and now >= module.registration_closes_at:
        return "closed"
    return None


def is_open_for_registration(module: Module, now: datetime | None = None) -> bool:
    """Whether the module takes registrations at `now` (see registration_closed_reason)."""
    return registration_closed_reason(module, now) is None


CLOSED_REASON_LABELS = {
    "not_open": _l("Registration has not opened yet."),
    "closed": _l("Registration has closed."),
    "started": _l("The module has already started."),
    "cancelled": _l("The module was cancelled."),
    "held": _l("The module has already taken place."),
    "draft": _l("The module is not yet scheduled."),
}


def closed_reason_label(reason: str | None) -> str:
    """The sentence that tells a visitor why registration is closed ('' when it is open)."""
    return str(CLOSED_REASON_LABELS.get(reason or "", ""))


def is_held(module: Module) -> bool:
    """True when the module is recorded as having taken place."""
    return module.status == ModuleStatus.HELD


def _after_that(purpose: Purpose) -> str:
    return {
        Purpose.ATTENDANCE: _("attendance can be imported after that."),
        Purpose.HELD: _("it can be marked as held after that."),
        Purpose.FOLLOWUPS: _("follow-ups can be sent once it is held, after that."),
        Purpose.CERTIFICATE: _("a certificate for it can be issued after that, once its "
                               "attendance is recorded."),
    }[purpose]


def end_sentence(module: Module, purpose: Purpose) -> str:
    """'Module 2 ends on Thursday 10 December 2026 at 16:00 Brussels time; attendance can be
    imported after that.'"""
    tz = timefmt.zone_name_or(module.series.timezone, "UTC")
    ends_at = module.ends_at
    assert ends_at is not None
    zone = "UTC" if tz == "UTC" else _("%(city)s time", city=timefmt.city_name(tz))
    return _(
        "Module %(number)s ends on %(date)s at %(time)s %(zone)s; %(after)s",
        number=module.number,
        date=timefmt.fmt_date(ends_at, tz),
        time=timefmt.fmt_time(ends_at, tz),
        zone=zone,
        after=_after_that(purpose),
    )


def _not_yet(module: Module, purpose: Purpose) -> str | None:
    """Why the module cannot be (or be treated as) held yet; None when it can."""
    if module.status == ModuleStatus.CANCELLED:
        return _("Module %(number)s was cancelled: it has no attendance, follow-ups or "
                 "certificates.", number=module.number)
    if module.starts_at is None:
        return _("Module %(number)s has no date yet; it can be held only after it has been "
                 "scheduled and has ended.", number=module.number)
    if module.status == ModuleStatus.DRAFT:
        return _("Module %(number)s is still a draft; schedule it first. It can be held only "
                 "after it has ended.", number=module.number)
    if not has_ended(module):
        return end_sentence(module, purpose)
    return None


def check_can_become_held(module: Module, purpose: Purpose) -> None:
    """Refuse, saying why and when, unless the module is held or its end has passed."""
    if is_held(module):
        return
    reason = _not_yet(module, purpose)
    if reason is not None:
        raise ModuleLifeError(reason)


def check_held(module: Module, purpose: Purpose) -> None:
    """Refuse, saying why and when, unless the module is marked held."""
    check_can_become_held(module, purpose)
    if not is_held(module):
        raise ModuleLifeError(_(
            "Module %(number)s has ended but is not marked as held yet: mark it as held on its "
            "page, or import its attendance.", number=module.number))


def refusal(module: Module, purpose: Purpose, *, needs_held: bool = True) -> str | None:
    """The refusal message for purpose, or None when it is possible now."""
    try:
        (check_held if needs_held else check_can_become_held)(module, purpose)
    except ModuleLifeError as error:
        return error.message
    return None


def state_in_words(module: Module, now: datetime | None = None) -> str:
    """The module's state as an organiser reads it: 'Scheduled', 'Ended, not marked as held'..."""
    if module.status == ModuleStatus.DRAFT:
        return _("Draft: not shown to the public")
    if module.status == ModuleStatus.CANCELLED:
        return _("Cancelled")
    if module.status == ModuleStatus.HELD:
        return _("Held")
    now = now or timefmt.now_utc()
    if has_ended(module, now):
        return _("Ended, not yet marked as held")
    if module.starts_at is not None and module.starts_at <= now:
        return _("Taking place now")
    return _("Scheduled")
