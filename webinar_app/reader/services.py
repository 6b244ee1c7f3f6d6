"""The Reader: one PDF with a cover, contents, foreword, each module's overview (from its
published summary) and each background note's own pages.

WeasyPrint renders the generated pages from `templates/reader/reader.html` in one document in
which every page of an uploaded note is held by an empty placeholder page; the table of contents
therefore counts the notes' pages when it computes its page numbers (CSS target-counter). pypdf
then puts each note's real pages in place of its placeholders, re-points the links and adds one
outline entry per module. Services never commit.

The Reader is a tagged PDF (WeasyPrint's `pdf/ua-1`: structure tree with headings, /Lang of the
build's language, the title shown in the window). pypdf's page insertion keeps a note's pages,
content and links but drops its structure tree and the pages' /StructParents, and leaves the
placeholders' elements dangling; `reader.tags.settle_note_tags` removes those, grafts a tagged
note's own elements under a /Part with fresh /ParentTree numbers, and leaves an untagged note's
pages untagged (the file then no longer claims PDF/UA). Its docstring details what is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, NameObject, TextStringObject
from sqlalchemy import func, select

from webinar_app import timefmt
from webinar_app.core.audit import record_event
from webinar_app.core.documents import render_document
from webinar_app.core.reference import country_name
from webinar_app.core.speakers import presenter_label, speaker_credits
from webinar_app.extensions import db
from webinar_app.i18n import localized
from webinar_app.models import (
    BackgroundNote,
    GoodPractice,
    Module,
    ModuleStatus,
    ReaderBuild,
    Series,
    SummaryState,
    User,
    utcnow,
)
from webinar_app.reader.tags import NoteTags, settle_note_tags
from webinar_app.summaries.rendering import render_markdown

Progress = Callable[[str], None]
READER_LANGUAGES = ("en", "fr")
PDF_VARIANT = "pdf/ua-1"  # tagged: structure tree, /Lang, title shown in the window


class ReaderError(ValueError):
    """The Reader cannot be built or published; the message says why."""


@dataclass(frozen=True)
class AgendaLine:
    time: str
    kind: str
    title: str
    speakers: list[str]


@dataclass(frozen=True)
class PracticeLine:
    title: str
    presenter: str
    country: str
    pillar: str
    description: str
    is_covid_adaptation: bool


@dataclass
class NotePart:
    """A background note in the Reader: an uploaded PDF (its pages) or a link."""

    anchor: str
    title: str
    abstract: str
    language: str
    url: str = ""
    pdf: PdfReader | None = None
    page_count: int = 0
    first_page: int = 0

    @property
    def has_pages(self) -> bool:
        return self.pdf is not None


@dataclass
class ModulePart:
    """A module's overview, ready for the template."""

    anchor: str
    number: int
    pillar: str
    title: str
    thematic_focus: str
    date: str
    time: str
    is_chatham_house: bool
    has_summary: bool
    attendance: int | None
    body_html: str
    takeaways: list[str]
    is_summary_in_english_only: bool
    agenda: list[AgendaLine]
    practices: list[PracticeLine]
    notes: list[NotePart] = field(default_factory=list)
    first_page: int = 0


@dataclass
class ReaderResult:
    """The built PDF and what it holds."""

    pdf: bytes
    page_count: int
    generated_page_count: int
    note_page_count: int
    missing_modules: list[int]


# --------------------------------------------------------------------------- content


def reader_modules(series: Series) -> list[Module]:
    """The modules that belong in the Reader: all but cancelled ones, in order."""
    return [m for m in series.modules if m.status != ModuleStatus.CANCELLED]


def _published_summary(module: Module):
    summary = getattr(module, "summary", None)
    if summary is None or summary.state != SummaryState.PUBLISHED:
        return None
    return summary


def missing_summaries(series: Series) -> list[int]:
    """Numbers of the modules without a published summary."""
    return [m.number for m in reader_modules(series) if _published_summary(m) is None]


def _agenda(module: Module, language: str) -> list[AgendaLine]:
    tz = module.series.timezone
    lines = []
    for item in module.agenda_items:
        when = ""
        if module.starts_at:
            when = timefmt.fmt_time(module.starts_at + timedelta(minutes=item.start_offset_minutes),
                                    tz, language)
        speakers = [credit.label for credit in speaker_credits(item, module)]
        lines.append(AgendaLine(when, item.kind, localized(item, "title", language),
                                list(dict.fromkeys(speakers))))
    return lines


def _practice(practice: GoodPractice, module: Module) -> PracticeLine:
    return PracticeLine(practice.title, presenter_label(practice, module),
                        country_name(practice.country) or "",
                        practice.pillar, practice.description, practice.is_covid_adaptation)


def _open_pdf(note: BackgroundNote) -> PdfReader:
    try:
        pdf = PdfReader(BytesIO(note.file_data or b""))
        if pdf.is_encrypted and not pdf.decrypt(""):
            raise PdfReadError("encrypted")
        if len(pdf.pages) == 0:
            raise PdfReadError("no pages")
    except (PdfReadError, ValueError, OSError) as error:
        raise ReaderError(_("The background note “%(title)s” of module %(number)s cannot be "
                            "read as a PDF; replace its file.", title=note.title,
                            number=note.module.number)) from error
    return pdf


def reader_notes(module: Module, language: str) -> list[BackgroundNote]:
    """The module's published notes for the Reader in this language: when the module has notes
    both in this language and in another, only those in this language; else all of them."""
    published = [note for note in module.notes if note.is_published]
    own = [note for note in published if note.language == language]
    return own if own and len(own) < len(published) else published


def _notes(module: Module, language: str) -> list[NotePart]:
    parts = []
    for note in reader_notes(module, language):
        part = NotePart(f"note-{note.id}", localized(note, "title", language),
                        localized(note, "abstract", language), note.language,
                        note.external_url or "")
        if note.has_file:
            part.pdf = _open_pdf(note)
            part.page_count = len(part.pdf.pages)
        parts.append(part)
    return parts


def _attendance(module: Module, summary) -> int | None:
    if summary is not None and summary.attendance_figure is not None:
        return summary.attendance_figure
    return None


def _time_span(module: Module, language: str) -> str:
    if not module.starts_at:
        return ""
    tz = module.series.timezone
    return (f"{timefmt.fmt_time(module.starts_at, tz, language)}–"
            f"{timefmt.fmt_time(module.ends_at, tz, language)} "
            f"({timefmt.city_name(tz, language)}, {timefmt.utc_offset(module.starts_at, tz)})")


def _module_part(module: Module, language: str) -> ModulePart:
    summary = _published_summary(module)
    tz = module.series.timezone
    practices = summary.good_practices if summary else []
    return ModulePart(
        anchor=f"module-{module.number}",
        number=module.number,
        pillar=localized(module, "pillar", language),
        title=localized(module, "title", language),
        thematic_focus=localized(module, "thematic_focus", language),
        date=timefmt.fmt_date(module.starts_at, tz, language) if module.starts_at else "",
        time=_time_span(module, language),
        is_chatham_house=module.is_chatham_house,
        has_summary=summary is not None,
        attendance=_attendance(module, summary),
        body_html=render_markdown(summary.body_in(language)) if summary else "",
        takeaways=summary.takeaways_in(language) if summary else [],
        is_summary_in_english_only=summary is not None and not summary.has_language(language),
        agenda=_agenda(module, language),
        practices=[_practice(p, module) for p in practices],
        notes=_notes(module, language),
    )


def _date_range(modules: list[Module], tz: str, language: str) -> str:
    starts = [m.starts_at for m in modules if m.starts_at]
    if not starts:
        return ""
    first, last = min(starts), max(starts)
    if timefmt.local(first, tz).date() == timefmt.local(last, tz).date():
        return timefmt.fmt_short_date(first, tz, language)
    return (f"{timefmt.fmt_short_date(first, tz, language)} – "
            f"{timefmt.fmt_short_date(last, tz, language)}")


# --------------------------------------------------------------------------- rendering


def _page_of(document) -> dict[str, int]:
    """Every anchor of the rendered document and the index of its page."""
    found: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            found.setdefault(anchor, index)
    return found


def _merge_notes(generated: bytes, modules: list[ModulePart]) -> PdfWriter:
    """The generated PDF with each placeholder run replaced by its note's own pages."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(generated)))
    notes = [n for m in modules for n in m.notes if n.has_pages]
    moved = {}
    placed = []
    for note in notes:
        tags = NoteTags(note.title, note.language, note.pdf, set(), set(), [])
        for index in range(note.first_page, note.first_page + note.page_count):
            placeholder = writer.pages[index]
            old = placeholder.indirect_reference
            tags.placeholder_ids.add(old.idnum)
            if placeholder.get("/StructParents") is not None:
                tags.placeholder_keys.add(int(placeholder["/StructParents"]))
            del writer.pages[index]
            writer.insert_page(note.pdf.pages[index - note.first_page], index)
            moved[(old.idnum, old.generation)] = writer.pages[index]
            tags.pages.append(writer.pages[index])
        placed.append(tags)
    _repoint_destinations(writer, moved)
    settle_note_tags(writer, placed)
    return writer


def _repoint_destinations(writer: PdfWriter, moved: dict) -> None:
    """Named destinations that pointed at a placeholder now point at the note's page."""
    names = writer.root_object.get("/Names")
    dests = names.get_object().get("/Dests") if names else None
    if dests is None:
        return
    pending = [dests.get_object()]
    while pending:
        node = pending.pop()
        pending.extend(kid.get_object() for kid in node.get("/Kids", []))
        entries = node.get("/Names", [])
        for i in range(1, len(entries), 2):
            dest = entries[i].get_object()
            target = dest[0] if isinstance(dest, ArrayObject) and dest else None
            ref = getattr(target, "idnum", None), getattr(target, "generation", None)
            if ref in moved:
                entries[i] = ArrayObject([moved[ref].indirect_reference, NameObject("/Fit")])


def build_reader_pdf(series: Series, progress: Progress | None = None,
                     language: str = "en") -> ReaderResult:
    """Render and assemble the Reader of the series in one language (its texts, contents page,
    outline and metadata)."""
    with force_locale(language):
        return _build_reader_pdf(series, progress or (lambda _step: None), language)


def _build_reader_pdf(series: Series, say: Progress, language: str) -> ReaderResult:
    modules = reader_modules(series)
    parts = [_module_part(m, language) for m in modules]
    say("content")
    title = localized(series, "title", language)
    context = dict(
        series=series,
        series_title=title,
        language=language,
        modules=parts,
        dates=_date_range(modules, series.timezone, language),
        foreword_html=render_markdown(localized(series, "description", language), heading_level=2),
        built_on=timefmt.fmt_short_date(utcnow(), series.timezone, language),
        missing=[p.number for p in parts if not p.has_summary],
    )
    document = render_document(render_template("reader/reader.html", **context))
    say("render")
    pages = _page_of(document)
    for part in parts:
        part.first_page = pages.get(part.anchor, 0)
        for note in part.notes:
            if note.has_pages:
                note.first_page = pages[f"{note.anchor}-p1"]
                last = pages.get(f"{note.anchor}-p{note.page_count}")
                if last != note.first_page + note.page_count - 1:
                    raise ReaderError(_("The placeholder pages of a note did not line up."))
    generated = document.write_pdf(pdf_variant=PDF_VARIANT)
    writer = _merge_notes(generated, parts)
    say("merge")
    for part in parts:
        writer.add_outline_item(title=_("Module %(number)s – %(pillar)s: %(title)s",
                                        number=part.number, pillar=part.pillar, title=part.title),
                                page_number=part.first_page)
    writer.add_metadata({
        "/Title": f"{title} – {_('Reader')}",
        "/Author": series.organiser or title,
        "/Subject": _("Overview of the webinars and their background notes"),
        "/Creator": "Webinar series",
    })
    writer.page_mode = "/UseOutlines"
    writer.root_object[NameObject("/Lang")] = TextStringObject(language)
    out = BytesIO()
    writer.write(out)
    note_pages = sum(n.page_count for p in parts for n in p.notes if n.has_pages)
    total = len(writer.pages)
    say("write")
    return ReaderResult(out.getvalue(), total, total - note_pages, note_pages,
                        [p.number for p in parts if not p.has_summary])


# --------------------------------------------------------------------------- versions


def check_buildable(series: Series) -> None:
    """Raise ReaderError if the series has nothing to compile."""
    if not reader_modules(series):
        raise ReaderError(_("The series has no module yet; there is nothing to compile."))


def create_build(series: Series, user: User | None = None,
                 progress: Progress | None = None, language: str = "en") -> ReaderBuild:
    """Build the Reader in this language and keep it as a new version (not published)."""
    check_buildable(series)
    if language not in READER_LANGUAGES:
        raise ReaderError(_("The Reader is built in English or French."))
    result = build_reader_pdf(series, progress, language)
    number = (db.session.scalar(
        select(func.max(ReaderBuild.number)).where(ReaderBuild.series_id == series.id)) or 0) + 1
    build = ReaderBuild(
        series=series, number=number, language=language, created_by=user, pdf=result.pdf,
        size=len(result.pdf),
        page_count=result.page_count, generated_page_count=result.generated_page_count,
        note_page_count=result.note_page_count, missing_modules=result.missing_modules,
    )
    db.session.add(build)
    db.session.flush()
    record_event("reader.built", series=series, actor=user, summary=_(
        "Built version %(number)s of the Reader (%(pages)s pages)", number=number,
        pages=result.page_count), details={"build_id": build.id, "build_number": number,
                                           "missing_modules": result.missing_modules,
                                           "language": language})
    return build


def list_builds(series: Series) -> list[ReaderBuild]:
    """Every build of the series, newest first."""
    return list(db.session.scalars(
        select(ReaderBuild).where(ReaderBuild.series_id == series.id)
        .order_by(ReaderBuild.number.desc())
    ))


def get_build(series: Series, build_id: int) -> ReaderBuild | None:
    return db.session.scalar(select(ReaderBuild).where(
        ReaderBuild.id == build_id, ReaderBuild.series_id == series.id))


def publish_build(build: ReaderBuild) -> None:
    """Make this build the public download in its language; a draft (missing summaries) cannot
    be published."""
    if build.missing_modules:
        raise ReaderError(_(
            "This build lacks the published summary of module(s) %(numbers)s; publish those "
            "summaries and build again.",
            numbers=", ".join(str(n) for n in build.missing_modules)))
    for other in _published_builds(build.series_id):
        if other.language == build.language:
            other.is_published = False
    build.is_published = True
    build.published_at = utcnow()
    db.session.flush()
    record_event("reader.published", series=build.series, summary=_(
        "Published version %(number)s of the Reader", number=build.number),
        details={"build_id": build.id, "build_number": build.number,
                 "language": build.language})


def unpublish_builds(series: Series) -> None:
    """Withdraw the public download."""
    for build in _published_builds(series.id):
        build.is_published = False
    db.session.flush()
    record_event("reader.unpublished", series=series, summary=_(
        "Withdrew the public download of the Reader"))


@dataclass(frozen=True)
class PublishedReader:
    """What the public pages show of a published Reader (never its bytes)."""

    slug: str
    language: str
    page_count: int
    size: int
    is_default: bool  # the one at /series/SLUG/reader.pdf


def published_readers(series: Series) -> list[PublishedReader]:
    """The published Readers of the series, one per language, for links."""
    default = published_build(series)
    return [PublishedReader(series.slug, build.language, build.page_count, build.size,
                            build is default)
            for build in sorted(_published_builds(series.id), key=lambda b: b.language)]


def _published_builds(series_id: int) -> list[ReaderBuild]:
    """The series' published builds (one per language at most), changed through the session so
    that the public cache's flush hook sees them."""
    return list(db.session.scalars(select(ReaderBuild).where(
        ReaderBuild.series_id == series_id, ReaderBuild.is_published.is_(True))))


def published_build(series: Series, language: str | None = None) -> ReaderBuild | None:
    """The build offered at /series/SLUG/reader.LANG.pdf; without a language (reader.pdf), the
    one in the series' first language, else the one published."""
    builds = {build.language: build for build in _published_builds(series.id)}
    if language is not None:
        return builds.get(language)
    first = (series.language_codes or ["en"])[0]
    return builds.get(first) or next(iter(builds.values()), None)
