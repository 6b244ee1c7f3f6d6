"""Summary workflow: drafts saved as revisions, review, send back, publish, compare revisions.

draft -> in_review -> approved -> published, or in_review -> draft with a comment (sent back);
an approved or published summary can be reopened as a draft. Only drafts are edited. Submitting
emails the series' reviewers; sending back or approving emails the author. Publishing queues the
follow-ups, or holds them until released. Services never commit.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.followups.services import queue_published_followups
from webinar_app.models import (
    CommentKind,
    GoodPractice,
    Module,
    Registration,
    Summary,
    SummaryComment,
    SummaryRevision,
    SummaryState,
    User,
    utcnow,
)
from webinar_app.summaries import emails

ATTENDED = "attended"
COMMENT_MAX_LENGTH = 5000


class SummaryError(ValueError):
    """A change the workflow does not allow, with the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(slots=True)
class GoodPracticeData:
    title: str
    presenter_organisation: str = ""
    presenter_name: str = ""
    country: str = ""
    pillar: str = ""
    description: str = ""
    is_covid_adaptation: bool = False


@dataclass(slots=True)
class SummaryData:
    body_markdown: str
    key_takeaways: str = ""
    attendance_figure: int | None = None
    body_markdown_fr: str = ""
    key_takeaways_fr: str = ""
    good_practices: list[GoodPracticeData] = field(default_factory=list)


# --------------------------------------------------------------------------- queries


def get_summary(module: Module) -> Summary | None:
    """The module's summary with practices, revisions and comments, or None."""
    stmt = (
        select(Summary)
        .where(Summary.module_id == module.id)
        .options(
            selectinload(Summary.good_practices),
            selectinload(Summary.revisions).selectinload(SummaryRevision.author),
            selectinload(Summary.comments).selectinload(SummaryComment.author),
        )
    )
    return db.session.scalars(stmt).first()


def get_revision(summary: Summary, number: int) -> SummaryRevision | None:
    """Revision `number` of the summary, or None."""
    stmt = select(SummaryRevision).where(
        SummaryRevision.summary_id == summary.id, SummaryRevision.number == number
    )
    return db.session.scalars(stmt).first()


def recorded_attendance(module: Module) -> int | None:
    """How many registrants attended, or None when no attendance has been recorded."""
    stmt = (
        select(Registration.attendance, func.count())
        .where(Registration.module_id == module.id, Registration.attendance.is_not(None))
        .group_by(Registration.attendance)
    )
    counts = dict(db.session.execute(stmt).all())
    if not counts:
        return None
    return counts.get(ATTENDED, 0)


# --------------------------------------------------------------------------- workflow


def _require_state(summary: Summary, *states: SummaryState, field: str = "state") -> None:
    if summary.state not in states:
        raise SummaryError(field, _state_message(summary.state))


def _state_message(state: str) -> str:
    if state == SummaryState.IN_REVIEW:
        return _("The summary is in review; a reviewer must send it back before it can change.")
    if state == SummaryState.PUBLISHED:
        return _("The summary is published; reopen it as a draft first.")
    if state == SummaryState.APPROVED:
        return _("The summary is approved and waits to be published; reopen it as a draft "
                 "to change it.")
    return _("The summary is a draft; submit it for review first.")


def _check(data: SummaryData) -> None:
    if data.attendance_figure is not None and data.attendance_figure < 0:
        raise SummaryError("attendance_figure", _("The attendance cannot be negative."))
    for practice in data.good_practices:
        if not practice.title.strip():
            raise SummaryError("good_practices", _("Every good practice needs a title."))
        if practice.country and not (len(practice.country) == 2 and practice.country.isalpha()):
            raise SummaryError("good_practices", _("Countries are two-letter ISO codes."))


def _snapshot(summary: Summary, author: User | None) -> SummaryRevision:
    number = (
        db.session.scalar(
            select(func.max(SummaryRevision.number)).where(
                SummaryRevision.summary_id == summary.id
            )
        )
        or 0
    ) + 1
    revision = SummaryRevision(
        summary=summary,
        number=number,
        author=author,
        created_at=utcnow(),
        body_markdown=summary.body_markdown,
        key_takeaways=summary.key_takeaways,
        body_markdown_fr=summary.body_markdown_fr,
        key_takeaways_fr=summary.key_takeaways_fr,
        attendance_figure=summary.attendance_figure,
        good_practices=[p.snapshot() for p in summary.good_practices],
    )
    db.session.add(revision)
    return revision


def _lines(text: str) -> str:
    """The non-empty lines of text, stripped."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def save_draft(module: Module, data: SummaryData, author: User) -> Summary:
    """Create or update the module's draft summary and record the save as a revision."""
    _check(data)
    summary = get_summary(module)
    if summary is None:
        summary = Summary(module=module, state=SummaryState.DRAFT.value)
        db.session.add(summary)
        db.session.flush()
    _require_state(summary, SummaryState.DRAFT)
    summary.body_markdown = data.body_markdown.strip()
    summary.key_takeaways = _lines(data.key_takeaways)
    summary.body_markdown_fr = data.body_markdown_fr.strip()
    summary.key_takeaways_fr = _lines(data.key_takeaways_fr)
    summary.attendance_figure = data.attendance_figure
    summary.good_practices.clear()
    db.session.flush()
    for position, practice in enumerate(data.good_practices):
        summary.good_practices.append(
            GoodPractice(
                position=position,
                title=practice.title.strip(),
                presenter_organisation=practice.presenter_organisation.strip(),
                presenter_name=practice.presenter_name.strip(),
                country=practice.country.strip().upper(),
                pillar=practice.pillar.strip(),
                description=practice.description.strip(),
                is_covid_adaptation=practice.is_covid_adaptation,
            )
        )
    db.session.flush()
    _snapshot(summary, author)
    db.session.flush()
    return summary


def submit_for_review(summary: Summary, user: User) -> None:
    """draft -> in_review; the summary needs a body first."""
    _require_state(summary, SummaryState.DRAFT)
    if not summary.body_markdown.strip():
        raise SummaryError("body_markdown", _("Write the summary before submitting it."))
    summary.state = SummaryState.IN_REVIEW.value
    summary.submitted_at = utcnow()
    summary.submitted_by = user
    db.session.flush()
    emails.queue_review_request(summary, user)
    record_event("summary.submitted", module=summary.module, actor=user, summary=_(
        "Submitted the summary of module %(number)s for review", number=summary.module.number))


def _comment(summary: Summary, user: User, body: str, kind: CommentKind) -> SummaryComment:
    comment = SummaryComment(
        summary=summary, author=user, body=body.strip(), kind=kind.value, created_at=utcnow()
    )
    db.session.add(comment)
    return comment


def _check_comment(body: str, *, required: bool, field: str = "comment") -> None:
    if required and not body.strip():
        message = (_("Say what should change before sending it back.") if field == "reason"
                   else _("Write a comment."))
        raise SummaryError(field, message)
    if len(body) > COMMENT_MAX_LENGTH:
        raise SummaryError(field, _("At most %(count)s characters.", count=COMMENT_MAX_LENGTH))


def send_back(summary: Summary, reviewer: User, comment: str) -> SummaryComment:
    """in_review -> draft with the reviewer's comment."""
    _require_state(summary, SummaryState.IN_REVIEW)
    _check_comment(comment, required=True, field="reason")
    summary.state = SummaryState.DRAFT.value
    note = _comment(summary, reviewer, comment, CommentKind.SENT_BACK)
    db.session.flush()
    emails.queue_review_outcome(summary, emails.SENT_BACK, reviewer, comment)
    record_event("summary.sent_back", module=summary.module, actor=reviewer, summary=_(
        "Sent the summary of module %(number)s back to draft", number=summary.module.number))
    return note


def approve(summary: Summary, reviewer: User, comment: str = "") -> None:
    """in_review -> approved, with an optional comment; the author is told by email."""
    _require_state(summary, SummaryState.IN_REVIEW)
    _check_comment(comment, required=False, field="approval_note")
    summary.state = SummaryState.APPROVED.value
    if comment.strip():
        _comment(summary, reviewer, comment, CommentKind.APPROVED)
    db.session.flush()
    emails.queue_review_outcome(summary, emails.APPROVED, reviewer, comment)
    record_event("summary.approved", module=summary.module, actor=reviewer, summary=_(
        "Approved the summary of module %(number)s", number=summary.module.number))


def publish(summary: Summary, user: User, *, hold_followups: bool = False) -> int:
    """approved -> published; for a held module this queues its follow-ups unless held back.

    Returns how many follow-up emails were queued: 0 while they are held, 0 while the module is
    not held (they go out when it is marked held), and 0 for people who already had theirs.
    """
    _require_state(summary, SummaryState.APPROVED)
    summary.state = SummaryState.PUBLISHED.value
    summary.published_at = utcnow()
    summary.published_by = user
    summary.followups_held_at = utcnow() if hold_followups else None
    db.session.flush()
    queued = queue_published_followups(summary.module)
    record_event("summary.published", module=summary.module, actor=user, people=queued,
                 summary=ngettext("Published the summary of module %(number)s; %(num)d "
                                  "follow-up email queued", "Published the summary of module "
                                  "%(number)s; %(num)d follow-up emails queued", queued,
                                  number=summary.module.number),
                 details={"summary_id": summary.id, "followups_queued": queued,
                          "followups_held": hold_followups})
    return queued


def release_followups(summary: Summary, user: User) -> int:
    """Let the held follow-ups of a published summary go; how many were queued now."""
    if summary.followups_held_at is None:
        raise SummaryError("state", _("The follow-ups of this summary are not held."))
    _require_state(summary, SummaryState.PUBLISHED)
    summary.followups_held_at = None
    db.session.flush()
    queued = queue_published_followups(summary.module)
    record_event("followups.released", module=summary.module, actor=user, people=queued,
                 summary=ngettext("Released the held follow-ups of module %(number)s; %(num)d "
                                  "email queued", "Released the held follow-ups of module "
                                  "%(number)s; %(num)d emails queued", queued,
                                  number=summary.module.number),
                 details={"summary_id": summary.id, "followups_queued": queued})
    return queued


def reopen(summary: Summary, user: User) -> None:
    """approved or published -> draft: off the public pages until it is published again."""
    _require_state(summary, SummaryState.APPROVED, SummaryState.PUBLISHED)
    summary.state = SummaryState.DRAFT.value
    db.session.flush()
    record_event("summary.reopened", module=summary.module, actor=user, summary=_(
        "Took the summary of module %(number)s off the public pages (reopened as a draft)",
        number=summary.module.number))


def add_comment(summary: Summary, user: User, body: str) -> SummaryComment:
    """A plain comment from anyone on the team."""
    _check_comment(body, required=True)
    comment = _comment(summary, user, body, CommentKind.COMMENT)
    db.session.flush()
    return comment


# --------------------------------------------------------------------------- revisions


def revision_text(revision: SummaryRevision) -> list[str]:
    """A revision as plain lines, for comparing two of them."""
    lines = [_("Attendance: %(figure)s", figure=_figure(revision.attendance_figure)), ""]
    lines += [f"# {_('Summary')}", *revision.body_markdown.splitlines(), ""]
    lines += [f"# {_('Key takeaways')}", *revision.key_takeaways.splitlines(), ""]
    if revision.body_markdown_fr or revision.key_takeaways_fr:
        lines += [f"# {_('Summary in French')}", *revision.body_markdown_fr.splitlines(), ""]
        lines += [f"# {_('Key takeaways in French')}", *revision.key_takeaways_fr.splitlines(),
                  ""]
    lines.append(f"# {_('Good practices')}")
    for practice in revision.good_practices or []:
        lines += _practice_lines(practice)
    return lines


def _figure(value: int | None) -> str:
    return "–" if value is None else str(value)


def _practice_lines(practice: dict[str, Any]) -> list[str]:
    covid = _("yes") if practice.get("is_covid_adaptation") else _("no")
    return [
        f"## {practice.get('title', '')}",
        _("Organisation: %(value)s", value=practice.get("presenter_organisation", "")),
        _("Presenter: %(value)s", value=practice.get("presenter_name", "")),
        _("Country: %(value)s", value=practice.get("country", "")),
        _("Pillar: %(value)s", value=practice.get("pillar", "")),
        _("COVID-19 adaptation: %(value)s", value=covid),
        *str(practice.get("description", "")).splitlines(),
        "",
    ]


@dataclass(frozen=True, slots=True)
class DiffPart:
    """A run of words in a compared paragraph: kept, inserted or deleted."""

    kind: str  # "same", "added" or "removed"
    text: str


@dataclass(frozen=True, slots=True)
class DiffParagraph:
    """One paragraph of a comparison: unchanged, added, removed or changed word by word.

    `old_parts` and `new_parts` are the paragraph as it was and as it is (for side by side);
    `parts` is both merged in reading order (for the inline view).
    """

    kind: str  # "same", "added", "removed" or "changed"
    parts: tuple[DiffPart, ...]
    old_parts: tuple[DiffPart, ...]
    new_parts: tuple[DiffPart, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    paragraphs: tuple[DiffParagraph, ...]

    def count(self, kind: str) -> int:
        return sum(1 for paragraph in self.paragraphs if paragraph.kind == kind)

    @property
    def identical(self) -> bool:
        return all(paragraph.kind == "same" for paragraph in self.paragraphs)


def revision_paragraphs(revision: SummaryRevision) -> list[str]:
    """A revision as paragraphs: runs of lines between blank lines; a heading stands alone."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in revision_text(revision):
        if not line.strip() or line.startswith("#"):
            if current:
                paragraphs.append("\n".join(current))
                current = []
            if line.strip():
                paragraphs.append(line)
            continue
        current.append(line)
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


_WORDS = re.compile(r"\s+|[^\s]+")


def _word_diff(old: str, new: str) -> tuple[tuple[DiffPart, ...], ...]:
    """Word-level differences of one paragraph: (merged, as it was, as it is)."""
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    merged: list[DiffPart] = []
    before: list[DiffPart] = []
    after: list[DiffPart] = []
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = "".join(old_words[i1:i2]), "".join(new_words[j1:j2])
        if tag == "equal":
            merged.append(DiffPart("same", removed))
            before.append(DiffPart("same", removed))
            after.append(DiffPart("same", added))
            continue
        if removed:
            merged.append(DiffPart("removed", removed))
            before.append(DiffPart("removed", removed))
        if added:
            merged.append(DiffPart("added", added))
            after.append(DiffPart("added", added))
    return tuple(merged), tuple(before), tuple(after)


def _whole(kind: str, text: str) -> DiffParagraph:
    part = (DiffPart(kind, text),)
    if kind == "added":
        return DiffParagraph("added", part, (), part)
    if kind == "removed":
        return DiffParagraph("removed", part, part, ())
    return DiffParagraph("same", part, part, part)


def compare_revisions(old: SummaryRevision, new: SummaryRevision) -> Comparison:
    """What changed from old to new, paragraph by paragraph and, inside a paragraph, by word."""
    old_paragraphs, new_paragraphs = revision_paragraphs(old), revision_paragraphs(new)
    matcher = difflib.SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    paragraphs: list[DiffParagraph] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            paragraphs += [_whole("same", text) for text in old_paragraphs[i1:i2]]
            continue
        removed, added = old_paragraphs[i1:i2], new_paragraphs[j1:j2]
        paired = min(len(removed), len(added)) if tag == "replace" else 0
        for before, after in zip(removed[:paired], added[:paired], strict=True):
            paragraphs.append(DiffParagraph("changed", *_word_diff(before, after)))
        paragraphs += [_whole("removed", text) for text in removed[paired:]]
        paragraphs += [_whole("added", text) for text in added[paired:]]
    return Comparison(tuple(paragraphs))
