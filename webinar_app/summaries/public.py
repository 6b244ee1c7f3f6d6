"""Published summaries as the public sees them: rendered, sanitised, Chatham House applied.

Every query loads a constant number of row sets (selectinload), whatever the number of
modules or practices. Under the Chatham House rule a practice names its organisation only
(`webinar_app.core.speakers` decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from webinar_app import timefmt
from webinar_app.core.reference import country_name
from webinar_app.core.speakers import presenter_name
from webinar_app.extensions import db
from webinar_app.i18n import current_language, localized
from webinar_app.models import (
    GoodPractice,
    Module,
    ModuleStatus,
    Series,
    Summary,
    SummaryState,
)
from webinar_app.summaries.rendering import render_markdown


@dataclass(slots=True)
class PracticeView:
    module_number: int
    module_title: str
    module_url: str
    title: str
    organisation: str
    presenter: str
    country: str
    country_name: str
    pillar: str
    description: str
    is_covid_adaptation: bool


@dataclass(slots=True)
class SummaryView:
    module_number: int
    module_title: str
    module_pillar: str
    module_url: str
    starts_at: datetime | None
    published_at: datetime | None
    published_on: str
    is_chatham_house: bool
    body_html: Markup
    takeaways: list[str]
    attendance_figure: int | None
    practices: list[PracticeView]
    language: str = "en"
    is_translation_missing: bool = False


def module_path(series: Series, module: Module) -> str:
    """The public page of the module (works outside a request, e.g. for the Reader)."""
    return f"/series/{series.slug}/modules/{module.number}"


def practice_view(practice: GoodPractice, module: Module, series: Series) -> PracticeView:
    """A practice ready to print; no presenter name under the Chatham House rule."""
    return PracticeView(
        module_number=module.number,
        module_title=localized(module, "title"),
        module_url=module_path(series, module),
        title=practice.title,
        organisation=practice.presenter_organisation,
        presenter=presenter_name(practice, module),
        country=practice.country,
        country_name=country_name(practice.country) if practice.country else "",
        pillar=practice.pillar or module.pillar,
        description=practice.description,
        is_covid_adaptation=practice.is_covid_adaptation,
    )


def summary_view(summary: Summary, module: Module, series: Series) -> SummaryView:
    """A published summary ready to print, its Markdown rendered and sanitised, in the reader's
    language where it exists (else in English, saying so)."""
    wanted = current_language()
    language = wanted if summary.has_language(wanted) else "en"
    return SummaryView(
        module_number=module.number,
        module_title=localized(module, "title"),
        module_pillar=localized(module, "pillar"),
        module_url=module_path(series, module),
        starts_at=module.starts_at,
        published_at=summary.published_at,
        published_on=(timefmt.fmt_short_date(summary.published_at, series.timezone)
                      if summary.published_at else ""),
        is_chatham_house=module.is_chatham_house,
        body_html=render_markdown(summary.body_in(language)),
        takeaways=summary.takeaways_in(language),
        attendance_figure=summary.attendance_figure,
        practices=[practice_view(p, module, series) for p in summary.good_practices],
        language=language,
        is_translation_missing=language != wanted,
    )


def _published():
    return (
        select(Summary)
        .join(Summary.module)
        .join(Module.series)
        .where(
            Summary.state == SummaryState.PUBLISHED.value,
            Module.status != ModuleStatus.DRAFT.value,
        )
        .options(
            contains_eager(Summary.module).contains_eager(Module.series),
            selectinload(Summary.good_practices),
        )
        .order_by(Module.number)
    )


def published_summaries(series: Series) -> list[SummaryView]:
    """Every published summary of the series, in module order."""
    stmt = _published().where(Module.series_id == series.id)
    return [summary_view(s, s.module, series) for s in db.session.scalars(stmt).unique()]


def published_summary(module: Module) -> SummaryView | None:
    """The module's published summary, or None."""
    summary = db.session.scalars(_published().where(Summary.module_id == module.id)).first()
    return summary_view(summary, module, module.series) if summary else None
