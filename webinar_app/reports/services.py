"""Organiser reports: registrations, waiting list and attendance per module, country and
organisation type, as tables, CSV and the geometry of a bar chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webinar_app.core.csv import csv_text
from webinar_app.core.reference import country_name, organisation_type_label
from webinar_app.extensions import db
from webinar_app.i18n import sort_for_people
from webinar_app.models import Module, Person, Registration, RegistrationStatus, Series

REGISTERED = RegistrationStatus.REGISTERED.value
WAITING = RegistrationStatus.WAITING.value
CANCELLED = RegistrationStatus.CANCELLED.value

COLUMNS: tuple[tuple[str, object], ...] = (
    ("registered", _l("Registered")),
    ("waiting", _l("Waiting list")),
    ("cancelled", _l("Cancelled")),
    ("attended", _l("Attended")),
    ("absent", _l("Absent")),
)
CHART_COLUMNS = ("registered", "waiting", "attended")
REPORT_KINDS = ("modules", "countries", "organisation-types")


@dataclass
class ReportRow:
    label: str
    code: str
    counts: dict[str, int] = field(default_factory=dict)

    def value(self, key: str) -> int:
        return self.counts.get(key, 0)

    @property
    def rate_percent(self) -> str:
        """Attended as a share of registered, once attendance is recorded."""
        recorded = self.value("attended") + self.value("absent")
        if not recorded or not self.value("registered"):
            return "–"
        return f"{round(100 * self.value('attended') / self.value('registered'))} %"


@dataclass
class Report:
    kind: str
    title: str
    label_header: str
    rows: list[ReportRow]

    @property
    def columns(self) -> tuple[tuple[str, object], ...]:
        return COLUMNS

    @property
    def totals(self) -> ReportRow:
        total = ReportRow(str(_l("Total")), "")
        for row in self.rows:
            for key, _label in COLUMNS:
                total.counts[key] = total.value(key) + row.value(key)
        return total


def _add(counts: dict[str, int], status: str, attendance: str | None, n: int) -> None:
    counts[status] = counts.get(status, 0) + n
    if status != CANCELLED and attendance in ("attended", "absent"):
        counts[attendance] = counts.get(attendance, 0) + n


def module_report(series: Series) -> Report:
    """Counts per module, every module listed."""
    query = (
        select(Registration.module_id, Registration.status, Registration.attendance, func.count())
        .join(Module, Registration.module_id == Module.id)
        .where(Module.series_id == series.id)
        .group_by(Registration.module_id, Registration.status, Registration.attendance)
    )
    by_module: dict[int, dict[str, int]] = {}
    for module_id, status, attendance, n in db.session.execute(query):
        _add(by_module.setdefault(module_id, {}), status, attendance, n)
    rows = [ReportRow(f"{m.number}. {m.title}", str(m.number), by_module.get(m.id, {}))
            for m in series.modules]
    return Report("modules", str(_l("Per module")), str(_l("Module")), rows)


def _person_report(series: Series, column, label: Callable[[str], str], kind: str,
                   title: str, header: str) -> Report:
    query = (
        select(column, Registration.status, Registration.attendance, func.count())
        .join(Person, Registration.person_id == Person.id)
        .join(Module, Registration.module_id == Module.id)
        .where(Module.series_id == series.id)
        .group_by(column, Registration.status, Registration.attendance)
    )
    by_value: dict[str, dict[str, int]] = {}
    for value, status, attendance, n in db.session.execute(query):
        _add(by_value.setdefault(value or "", {}), status, attendance, n)
    rows = [ReportRow(label(code) or str(_l("Not given")), code, counts)
            for code, counts in by_value.items()]
    rows = sort_for_people(rows, key=lambda r: r.label)  # ties: the reader's alphabetical order
    rows.sort(key=lambda r: (-r.value(REGISTERED), -r.value(WAITING)))
    return Report(kind, title, header, rows)


def country_report(series: Series) -> Report:
    """Counts of registrations (all modules) per participant's country."""
    return _person_report(series, Person.country, country_name, "countries",
                          str(_l("Per country")), str(_l("Country")))


def organisation_type_report(series: Series) -> Report:
    """Counts of registrations (all modules) per type of organisation."""
    return _person_report(series, Person.organisation_type, organisation_type_label,
                          "organisation-types", str(_l("Per type of organisation")),
                          str(_l("Type of organisation")))


def build_report(series: Series, kind: str) -> Report:
    """The report of this kind ('modules', 'countries' or 'organisation-types')."""
    builders = {"modules": module_report, "countries": country_report,
                "organisation-types": organisation_type_report}
    return builders[kind](series)


def report_csv(report: Report) -> bytes:
    """The report as UTF-8 CSV with a BOM, formula-looking cells neutralised."""
    header = [report.label_header, "code", *[key for key, _label in COLUMNS], "attendance_rate"]
    rows = ((row.label, row.code, *[row.value(key) for key, _label in COLUMNS],
             row.rate_percent.replace("–", "")) for row in [*report.rows, report.totals])
    return csv_text(header, rows).encode("utf-8")


# --------------------------------------------------------------------------- chart geometry

BAR_HEIGHT = 14
GROUP_GAP = 12
LABEL_WIDTH = 230
PLOT_WIDTH = 360
LEGEND_HEIGHT = 30
CHART_WIDTH = LABEL_WIDTH + PLOT_WIDTH + 60
LABEL_MAX_CHARS = 34
PALETTE = {"registered": "#1f5fa8", "waiting": "#b35900", "attended": "#2e7d32"}


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: int
    fill: str
    title: str


@dataclass(frozen=True)
class Group:
    label: str
    full_label: str
    y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template needs, already measured."""

    kind: str
    title: str
    description: str
    width: int
    height: int
    label_width: int
    groups: list[Group]
    legend: list[tuple[str, str, int]]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1] + "…"


def bar_chart(report: Report) -> Chart:
    """A grouped horizontal bar chart of registered, waiting and attended per row."""
    labels = dict(COLUMNS)
    largest = max((row.value(k) for row in report.rows for k in CHART_COLUMNS), default=0) or 1
    group_height = len(CHART_COLUMNS) * BAR_HEIGHT + GROUP_GAP
    groups = []
    for index, row in enumerate(report.rows):
        top = LEGEND_HEIGHT + index * group_height
        bars = [
            Bar(LABEL_WIDTH, top + i * BAR_HEIGHT,
                round(PLOT_WIDTH * row.value(key) / largest), BAR_HEIGHT - 2,
                row.value(key), PALETTE[key], f"{row.label}: {labels[key]} {row.value(key)}")
            for i, key in enumerate(CHART_COLUMNS)
        ]
        groups.append(Group(_short(row.label), row.label, top, bars))
    legend = [(str(labels[key]), PALETTE[key], i * 130) for i, key in enumerate(CHART_COLUMNS)]
    description = "; ".join(
        f"{row.label}: " + ", ".join(f"{labels[k]} {row.value(k)}" for k in CHART_COLUMNS)
        for row in report.rows
    )
    height = LEGEND_HEIGHT + max(len(report.rows), 1) * group_height
    return Chart(report.kind, report.title, description, CHART_WIDTH, height, LABEL_WIDTH,
                 groups, legend)
