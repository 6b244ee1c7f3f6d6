"""The 2021 edition of the 4Ps series, as held: real dates, demo attendance, published demo
summaries and good practices, so that a newcomer can browse the whole life of a series and
build its Reader.

Facts (dates, pillars, themes, organisations, rough attendance) follow the public reports of the
real webinars; everything else is demo text. Participants are fictional
(participant001@example.org ...); no person is named. Loading is idempotent and never commits.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, wraps
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webinar_app.demo import data
from webinar_app.demo.edition_2021_fr import HELD_FR, HeldModuleFr
from webinar_app.demo.pdf import count_pages, render_note_pdf
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Consent,
    GoodPractice,
    Module,
    ModuleStatus,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    Speaker,
    Summary,
    SummaryRevision,
    SummaryState,
    User,
)

SLUG_2021 = "thb-4ps-revisited-2021"
HELD_ON = (date(2021, 3, 31), date(2021, 4, 28), date(2021, 5, 26), date(2021, 6, 30))
PARTICIPANTS = 160
# (registered, attended) per module: the reports speak of 100+, 140+, 100+ attendees.
TURNOUT = ((124, 104), (152, 142), (121, 103), (118, 97))

COUNTRIES = ("ER", "ET", "DJ", "KE", "SO", "SS", "SD", "UG", "EG", "LY", "TN", "IT", "FR",
             "DE", "NL", "BE", "MT", "SE", "NO", "CH", "ES", "GB")
ORGANISATIONS = (
    ("government", "Ministry of Foreign Affairs (demo)"),
    ("government", "Ministry of Labour (demo)"),
    ("government", "National anti-trafficking task force (demo)"),
    ("government", "Public prosecution service (demo)"),
    ("government", "National police (demo)"),
    ("regional-body", "Regional organisation (demo)"),
    ("international-organisation", "International organisation (demo)"),
    ("ngo", "Survivors' assistance NGO (demo)"),
    ("academia", "University research centre (demo)"),
    ("other", "Private-sector partner (demo)"),
)
TIMEZONES = {"ER": "Africa/Asmara", "ET": "Africa/Addis_Ababa", "DJ": "Africa/Djibouti",
             "KE": "Africa/Nairobi", "SO": "Africa/Mogadishu", "SS": "Africa/Juba",
             "SD": "Africa/Khartoum", "UG": "Africa/Kampala", "EG": "Africa/Cairo",
             "LY": "Africa/Tripoli", "TN": "Africa/Tunis", "GB": "Europe/London"}

SERIES_2021 = {
    **data.SERIES,
    "slug": SLUG_2021,
    "title": "Trafficking in Human Beings: The 4Ps Revisited (2021)",
    "title_fr": "La traite des êtres humains : les 4P revisités (2021)",
    "short_description": (
        "The 2021 edition, as held: four online modules of the Khartoum Process on "
        "Prevention, Protection, Prosecution and Partnership, with demo summaries, demo "
        "attendance and the demo background notes."
    ),
    "short_description_fr": (
        "L'édition 2021, telle qu'elle s'est tenue : quatre modules en ligne du Processus de "
        "Khartoum sur la prévention, la protection, les poursuites et le partenariat, avec des "
        "comptes rendus, une participation et des notes d'information de démonstration."
    ),
}


@dataclass(frozen=True)
class Practice:
    title: str
    organisation: str
    description: str
    country: str = ""
    is_covid_adaptation: bool = False


@dataclass(frozen=True)
class HeldModule:
    body: str
    takeaways: tuple[str, ...]
    practices: tuple[Practice, ...]


HELD: tuple[HeldModule, ...] = (
    HeldModule(
        body=(
            "*Demo summary written for the demo of this application, based on the public "
            "report of the webinar.*\n\n"
            "Over a hundred delegates and panellists met online for the first module of the "
            "series, on preventing trafficking for labour exploitation. A keynote by an expert "
            "of the **International Labour Organization (ILO)** set the scene: recruitment fees, "
            "deception about jobs and the withholding of documents turn labour migration into "
            "exploitation along the route.\n\n"
            "Three panels followed. The first looked at **regional cooperation** between "
            "labour authorities, with bilateral labour agreements presented by a national "
            "labour ministry and the work of the **European Labour Authority**. The second "
            "looked at **pre-departure training and awareness raising**, and the third at "
            "**ethical recruitment**."
        ),
        takeaways=(
            "Prevention of labour exploitation starts before departure: information, "
            "training and legal routes.",
            "Labour authorities of origin and destination countries need to cooperate as "
            "closely as police forces do.",
            "Ethical recruitment, with no fees charged to workers, removes the debt that "
            "traps people in exploitation.",
            "Awareness campaigns reach people best where they are, including on public "
            "transport and online.",
        ),
        practices=(
            Practice("Bilateral labour agreements with countries of destination",
                     "Ministry of Labour of a member state",
                     "Agreements that set recruitment standards and protect the rights of "
                     "workers placed abroad."),
            Practice("Cooperation between labour inspectorates across borders",
                     "European Labour Authority (ELA)",
                     "Joint and concerted inspections and information exchange between "
                     "national labour authorities."),
            Practice("Pre-departure training for workers going abroad",
                     "National employment authority",
                     "Compulsory training on rights, contracts and where to get help, moved "
                     "partly online during the pandemic.", is_covid_adaptation=True),
            Practice("Awareness campaign on public transport", "Awareness campaign partners",
                     "Messages on the risks of irregular recruitment shown to travellers on "
                     "buses and at stations."),
            Practice("National information system on external employment",
                     "National external employment information system",
                     "One register of licensed agencies and vacancies abroad that jobseekers "
                     "can check."),
            Practice("Ethical recruitment project", "NGO project on ethical recruitment",
                     "Works with employers and agencies so that workers pay no recruitment "
                     "fees."),
        ),
    ),
    HeldModule(
        body=(
            "*Demo summary written for the demo of this application, based on the public "
            "report of the webinar.*\n\n"
            "More than 140 participants joined the second module, on the protection of and "
            "assistance to victims of trafficking. Regional and national speakers presented "
            "**structural and policy responses** - national referral mechanisms, standard "
            "operating procedures and regional frameworks - and **direct support and "
            "assistance** to victims: shelter, health care, legal aid and reintegration.\n\n"
            "Speakers described how services adapted when the COVID-19 pandemic closed "
            "shelters and borders, and which adaptations are worth keeping."
        ),
        takeaways=(
            "A national referral mechanism makes clear who identifies victims and who "
            "assists them.",
            "Assistance must be voluntary, safe and adapted to each person, including "
            "children.",
            "Remote counselling and case management kept victims supported during the "
            "pandemic and can complement in-person help.",
        ),
        practices=(
            Practice("National referral mechanism for victims of trafficking",
                     "National anti-trafficking task force of a member state",
                     "Standard operating procedures that take a victim from identification "
                     "to shelter, care and legal aid."),
            Practice("Regional framework for the protection of victims",
                     "African Union Commission",
                     "Common standards that member states can build their national "
                     "responses on."),
            Practice("Shelter and psychosocial support during lockdowns",
                     "NGO assisting survivors",
                     "Counselling by phone and video, and emergency accommodation when "
                     "shelters had to close.", is_covid_adaptation=True),
            Practice("Identification of victims among refugees and asylum seekers",
                     "Office of the UN High Commissioner for Refugees (UNHCR)",
                     "Screening at reception and referral to protection services."),
        ),
    ),
    HeldModule(
        body=(
            "*Demo summary written for the demo of this application, based on the public "
            "report of the webinar.*\n\n"
            "The third module brought together over a hundred delegates on international "
            "cooperation in prosecuting traffickers. A keynote by the **UN Office on Drugs "
            "and Crime (UNODC)** presented the state of investigations and prosecutions in "
            "Eastern Africa.\n\n"
            "The first session looked at **joint regional and international investigations**, "
            "with the **Regional Operational Centre in support of the Khartoum Process "
            "(ROCK)**. The second looked at **judicial cooperation**, with a liaison "
            "magistrates initiative that shortens mutual legal assistance between countries."
        ),
        takeaways=(
            "Networks cross borders, so investigations must too: shared intelligence "
            "follows a case from recruitment to exploitation.",
            "Liaison magistrates who know both legal systems turn intelligence into "
            "evidence a court accepts.",
            "Financial investigations and the seizure of assets hit the business model of "
            "traffickers.",
        ),
        practices=(
            Practice("Regional operational centre for joint investigations",
                     "Regional Operational Centre in support of the Khartoum Process (ROCK)",
                     "Police liaison officers of several countries share and analyse "
                     "information on smuggling and trafficking networks."),
            Practice("Liaison magistrates network", "Liaison magistrates initiative",
                     "Magistrates posted abroad speed up requests for mutual legal assistance "
                     "and extradition."),
            Practice("Remote case coordination between prosecutors",
                     "UN Office on Drugs and Crime (UNODC)",
                     "Secure video meetings kept cross-border cases moving while travel was "
                     "impossible.", is_covid_adaptation=True),
        ),
    ),
    HeldModule(
        body=(
            "*Demo summary written for the demo of this application, based on the public "
            "report of the webinar.*\n\n"
            "The last module looked at partnerships, the fourth P, under the guidance of the "
            "Chair of the Process, the Netherlands. Speakers presented **partnerships with the "
            "financial and technology sectors** - detecting suspicious payments and online "
            "recruitment - and **institutional partnerships**, such as a **rapid alert "
            "system** piloted jointly by IOM, UNODC and UNHCR to act quickly on information "
            "about victims."
        ),
        takeaways=(
            "Banks and technology companies see traces of trafficking that authorities do "
            "not; partnerships make that knowledge usable.",
            "Institutional partners act faster together: a shared alert system turns "
            "information about victims into protection.",
            "Partnership is the cornerstone of the Khartoum Process and runs through the "
            "other three Ps.",
        ),
        practices=(
            Practice("Financial-sector partnership to detect trafficking proceeds",
                     "Banking sector alliance",
                     "Indicators of trafficking-related payments shared with banks, and "
                     "reports to financial intelligence units."),
            Practice("Technology partnership against online recruitment",
                     "Technology industry initiative",
                     "Tools that flag deceptive job offers and exploitative advertisements "
                     "online.", is_covid_adaptation=True),
            Practice("Rapid alert system on victims of trafficking",
                     "IOM, UNODC and UNHCR",
                     "A joint mechanism piloted by three organisations to pass information "
                     "about victims to those who can act on it."),
        ),
    ),
)


@dataclass(frozen=True)
class Edition2021Result:
    created: bool
    modules: int = 0
    participants: int = 0
    registrations: int = 0
    summaries: int = 0

    def summary(self) -> str:
        """A sentence for the end of the seed-demo line."""
        if not self.created:
            return f"The held 2021 edition {SLUG_2021} is already there."
        return (
            f"Loaded the held 2021 edition {SLUG_2021}: {self.modules} modules, "
            f"{self.participants} demo participants, {self.registrations} registrations "
            f"with attendance, {self.summaries} published summaries."
        )


def held_start_times() -> list[datetime]:
    """14:00 Brussels on each of the four real dates, in UTC."""
    tz = ZoneInfo(data.SERIES["timezone"])
    return [datetime.combine(day, time(data.LOCAL_START_HOUR), tzinfo=tz).astimezone(UTC)
            for day in HELD_ON]


@cache
def _note_pdf(demo: data.DemoModule, series_title: str, organiser: str) -> bytes:
    return render_note_pdf(demo, series_title, organiser)


def _module(demo: data.DemoModule, starts_at: datetime, series: Series) -> Module:
    module = Module(
        number=demo.number, pillar=demo.pillar, title=demo.title,
        thematic_focus=demo.thematic_focus, description=demo.description, starts_at=starts_at,
        pillar_fr=demo.pillar_fr, title_fr=demo.title_fr,
        thematic_focus_fr=demo.thematic_focus_fr,
        duration_minutes=data.DURATION_MINUTES, status=ModuleStatus.HELD.value,
        capacity=None, registration_opens_at=starts_at - timedelta(days=30),
        registration_closes_at=starts_at, join_url="",
    )
    module.agenda_items = [
        AgendaItem(position=i, start_offset_minutes=item.offset_minutes, kind=item.kind,
                   title=item.title,
                   speakers=[Speaker(position=j, name="", role=s.role, organisation=s.organisation)
                             for j, s in enumerate(item.speakers)])
        for i, item in enumerate(demo.agenda)
    ]
    pdf = _note_pdf(demo, series.title, series.organiser)
    module.notes = [BackgroundNote(
        position=0, title=demo.note.title, language="en", abstract=demo.note.abstract,
        is_published=True, is_prereading=True,
        file_name=f"2021-module-{demo.number}-{demo.pillar.lower()}-background-note-demo.pdf",
        file_size=len(pdf), file_sha256=hashlib.sha256(pdf).hexdigest(),
        file_pages=count_pages(pdf), file_data=pdf,
    )]
    return module


def _participants(series: Series, joined_at: datetime) -> list[Person]:
    people = []
    for i in range(1, PARTICIPANTS + 1):
        country = COUNTRIES[(i * 7) % len(COUNTRIES)]
        kind, organisation = ORGANISATIONS[(i * 3) % len(ORGANISATIONS)]
        person = Person(
            series=series, email=f"participant{i:03d}@example.org",
            full_name=f"Demo Participant {i:03d}", organisation=organisation,
            organisation_type=kind, country=country, job_title="Demo participant",
            language="fr" if country in ("DJ", "TN", "FR", "BE", "CH") else "en",
            timezone=TIMEZONES.get(country, "Europe/Brussels"),
        )
        person.consents.append(Consent(purpose="data-processing", wording_version="demo-2021",
                                       given_at=joined_at))
        people.append(person)
    return people


def _summary(module: Module, held: HeldModule, french: HeldModuleFr, attended: int,
             author: User | None) -> Summary:
    published_at = module.ends_at + timedelta(days=14)
    summary = Summary(
        module=module, state=SummaryState.PUBLISHED.value, body_markdown=held.body,
        key_takeaways="\n".join(held.takeaways), body_markdown_fr=french.body,
        key_takeaways_fr="\n".join(french.takeaways), attendance_figure=attended,
        submitted_at=module.ends_at + timedelta(days=7), published_at=published_at,
        published_by=author,
    )
    summary.good_practices = [
        GoodPractice(position=i, title=p.title, presenter_organisation=p.organisation,
                     presenter_name="", country=p.country, pillar=module.pillar,
                     description=p.description, is_covid_adaptation=p.is_covid_adaptation)
        for i, p in enumerate(held.practices)
    ]
    summary.revisions = [SummaryRevision(
        number=1, author=author, created_at=module.ends_at + timedelta(days=5),
        body_markdown=summary.body_markdown, key_takeaways=summary.key_takeaways,
        body_markdown_fr=summary.body_markdown_fr, key_takeaways_fr=summary.key_takeaways_fr,
        attendance_figure=attended,
        good_practices=[g.snapshot() for g in summary.good_practices],
    )]
    return summary


def seed_edition_2021(author: User | None = None) -> Edition2021Result:
    """Load the held 2021 edition unless its slug exists."""
    if db.session.scalar(select(Series.id).where(Series.slug == SLUG_2021)):
        return Edition2021Result(False)
    series = Series(**SERIES_2021)
    starts = held_start_times()
    for demo, starts_at in zip(data.MODULES, starts, strict=True):
        series.modules.append(_module(demo, starts_at, series))
    people = _participants(series, starts[0] - timedelta(days=30))
    db.session.add(series)
    db.session.add_all(people)
    pick = random.Random(2021)  # noqa: S311  (demo data, the same on every run)
    registrations = 0
    for module, held, french, (registered, attended) in zip(series.modules, HELD, HELD_FR,
                                                           TURNOUT, strict=True):
        chosen = pick.sample(people, registered)
        present = set(map(id, pick.sample(chosen, attended)))
        for person in chosen:
            db.session.add(Registration(
                person=person, module=module, status=RegistrationStatus.REGISTERED.value,
                queued_at=module.registration_opens_at + timedelta(hours=1),
                attendance="attended" if id(person) in present else "absent"))
        registrations += registered
        db.session.add(_summary(module, held, french, attended, author))
    db.session.flush()
    return Edition2021Result(True, len(series.modules), len(people), registrations, len(HELD))


class _WithEdition2021:
    """The seed result of the 4Ps demo, with the 2021 edition added to its one line."""

    def __init__(self, result, edition: Edition2021Result | None) -> None:
        self._result = result
        self.edition_2021 = edition

    def __getattr__(self, name: str):
        return getattr(self._result, name)

    def summary(self) -> str:
        line = self._result.summary()
        return f"{line} {self.edition_2021.summary()}" if self.edition_2021 else line


def with_edition_2021(seed):
    """Wrap seed_demo: also load the 2021 edition, unless --if-empty found other series."""

    @wraps(seed)
    def wrapped(now: datetime | None = None, *, only_if_empty: bool = False):
        result = seed(now, only_if_empty=only_if_empty)
        if only_if_empty and not result.series_created:
            return _WithEdition2021(result, None)
        author = db.session.scalar(select(User).where(User.email == data.DEMO_ORGANISER_EMAIL))
        return _WithEdition2021(result, seed_edition_2021(author))

    return wrapped
