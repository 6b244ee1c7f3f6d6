"""The good-practice catalogue: one filter shared by the page and the CSV and JSON exports.

All practices of the series' published summaries are loaded in a constant number of queries
and filtered in one place, so the page and both exports always list the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from webinar_app.core.csv import csv_text
from webinar_app.extensions import db
from webinar_app.i18n import sort_for_people
from webinar_app.models import GoodPractice, Module, ModuleStatus, Series, Summary, SummaryState
from webinar_app.summaries.public import PracticeView, practice_view


@dataclass(frozen=True, slots=True)
class PracticeFilter:
    pillar: str = ""
    country: str = ""
    organisation: str = ""
    covid: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.pillar or self.country or self.organisation or self.covid)

    def as_dict(self) -> dict[str, str]:
        return {"pillar": self.pillar, "country": self.country,
                "organisation": self.organisation, "covid": self.covid}

    def matches(self, practice: PracticeView) -> bool:
        """Whether the practice passes every filter that is set (case-insensitive)."""
        if self.pillar and practice.pillar.casefold() != self.pillar.casefold():
            return False
        if self.country and practice.country.upper() != self.country.upper():
            return False
        if self.organisation and (
            practice.organisation.casefold() != self.organisation.casefold()
        ):
            return False
        return not (self.covid and practice.is_covid_adaptation != (self.covid == "yes"))


@dataclass(slots=True)
class Catalogue:
    practices: list[PracticeView]
    pillars: list[str]
    countries: list[tuple[str, str]]
    organisations: list[str]


def all_practices(series: Series) -> list[PracticeView]:
    """Every practice of the series' published summaries, in module and position order."""
    stmt = (
        select(GoodPractice)
        .join(GoodPractice.summary)
        .join(Summary.module)
        .where(
            Module.series_id == series.id,
            Module.status != ModuleStatus.DRAFT.value,
            Summary.state == SummaryState.PUBLISHED.value,
        )
        .options(contains_eager(GoodPractice.summary).contains_eager(Summary.module))
        .order_by(Module.number, GoodPractice.position, GoodPractice.id)
    )
    return [practice_view(p, p.summary.module, series) for p in db.session.scalars(stmt)]


def catalogue(series: Series, wanted: PracticeFilter) -> Catalogue:
    """The practices that pass the filter, and the values each filter offers."""
    practices = all_practices(series)
    countries = {p.country: p.country_name for p in practices if p.country}
    return Catalogue(
        practices=[p for p in practices if wanted.matches(p)],
        pillars=sort_for_people({p.pillar for p in practices if p.pillar}),
        countries=sort_for_people(countries.items(), key=lambda item: item[1]),
        organisations=sort_for_people({p.organisation for p in practices if p.organisation}),
    )


CSV_HEADER = (
    "module", "module_title", "title", "presenting_organisation", "presenter", "country",
    "country_name", "pillar", "covid19_adaptation", "description", "module_url",
)


def practice_record(practice: PracticeView, base_url: str) -> dict[str, object]:
    """A practice as a flat record for the exports (no presenter under Chatham House)."""
    return {
        "module": practice.module_number,
        "module_title": practice.module_title,
        "title": practice.title,
        "presenting_organisation": practice.organisation,
        "presenter": practice.presenter,
        "country": practice.country,
        "country_name": practice.country_name,
        "pillar": practice.pillar,
        "covid19_adaptation": practice.is_covid_adaptation,
        "description": practice.description,
        "module_url": base_url + practice.module_url,
    }


def practices_csv(practices: list[PracticeView], base_url: str) -> str:
    """UTF-8 CSV text with a BOM; cells that look like formulas are neutralised."""
    return csv_text(CSV_HEADER, (_csv_row(practice, base_url) for practice in practices))


def _csv_row(practice: PracticeView, base_url: str) -> list[object]:
    record = practice_record(practice, base_url)
    record["covid19_adaptation"] = "yes" if practice.is_covid_adaptation else "no"
    return [record[name] for name in CSV_HEADER]

