"""The review emails: a summary submitted (to the series' reviewers), sent back or approved (to
its author, with the comment). Internal mail to team accounts, in the series' first language."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from webinar_app.core.addresses import default_sender
from webinar_app.core.text import clean_one_line
from webinar_app.core.urls import external_url
from webinar_app.extensions import db
from webinar_app.i18n import localized
from webinar_app.models import Role, SeriesRole, Summary, User, utcnow
from webinar_app.outbox.services import queue_email

SUBMITTED = "submitted"
SENT_BACK = "sent_back"
APPROVED = "approved"


def series_reviewers(summary: Summary) -> list[User]:
    """Active reviewers of the summary's series (global or of this series); admins if none."""
    series_id = summary.module.series_id
    in_series = select(SeriesRole.user_id).where(
        SeriesRole.series_id == series_id, SeriesRole.role == Role.REVIEWER.value)
    reviewers = db.session.scalars(
        select(User).where(User.is_active.is_(True),
                           or_(User.role == Role.REVIEWER.value, User.id.in_(in_series)))
        .order_by(User.email)
    ).all()
    if reviewers:
        return list(reviewers)
    return list(db.session.scalars(
        select(User).where(User.is_active.is_(True), User.role == Role.ADMIN.value)
        .order_by(User.email)
    ))


def summary_author(summary: Summary) -> User | None:
    """Who submitted the summary, else who saved its latest revision."""
    if summary.submitted_by is not None:
        return summary.submitted_by
    authors = [r.author for r in summary.revisions if r.author is not None]
    return authors[-1] if authors else None


def _language(summary: Summary) -> str:
    codes = summary.module.series.language_codes
    return codes[0] if codes else "en"


def _subject(event: str, module_title: str, number: int) -> str:
    if event == SUBMITTED:
        return _("Summary to review: module %(number)s, %(title)s", number=number,
                 title=module_title)
    if event == SENT_BACK:
        return _("Summary sent back: module %(number)s, %(title)s", number=number,
                 title=module_title)
    return _("Summary approved: module %(number)s, %(title)s", number=number,
             title=module_title)


def _queue(summary: Summary, event: str, recipient: User, actor: User, comment: str) -> bool:
    """Render and queue one review email to recipient (no commit); False if not queued."""
    module = summary.module
    language = _language(summary)
    with force_locale(language):
        title = localized(module, "title", language)
        subject = clean_one_line(_subject(event, title, module.number))
        context = {
            "subject": subject, "event": event, "language": language,
            "series_title": localized(module.series, "title", language),
            "module_number": module.number, "module_title": title,
            "actor": actor.email, "comment": comment.strip(),
            "link": external_url("summaries.overview", slug=module.series.slug,
                                 number=module.number),
        }
        body_text = render_template("email/summary_review.txt", **context)
        body_html = render_template("email/summary_review.html", **context)
    sender_name, sender_email = default_sender()
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    return queue_email(
        kind=f"summary_{event}",
        purpose_key=f"summary-{event}:{summary.id}:{recipient.id}:{stamp}",
        to_email=recipient.email,
        to_name="",
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        series=module.series,
        module=module,
        sender_email=sender_email,
        sender_name=sender_name,
    ) is not None


def queue_review_request(summary: Summary, submitter: User) -> int:
    """Email the series' reviewers that the summary awaits them; how many were queued."""
    return sum(_queue(summary, SUBMITTED, reviewer, submitter, "")
               for reviewer in series_reviewers(summary) if reviewer.id != submitter.id)


def queue_review_outcome(summary: Summary, event: str, reviewer: User, comment: str) -> int:
    """Email the author that the summary was sent back or approved, with the comment."""
    author = summary_author(summary)
    if author is None or not author.is_active:
        return 0
    return int(_queue(summary, event, author, reviewer, comment))
