"""The demo series: the Khartoum Process webinar series on the 4Ps, in our own words.

Speakers are named by role and organisation only. Background notes are short demo texts,
not the real notes. Every string here stays within Latin-1 so the PDF core fonts can print it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_SLUG = "thb-4ps-revisited"
DEMO_ORGANISER_EMAIL = "organiser@example.org"
DEMO_ORGANISER_PASSWORD = "demo-4ps-organiser"  # noqa: S105  (a published demo login)
LOCAL_START_HOUR = 14
DURATION_MINUTES = 120
CAPACITY = 150
FIRST_MODULE_AFTER_DAYS = 21
DAYS_BETWEEN_MODULES = 28
MEETING_WEEKDAY = 2  # Wednesday, as in the original series

SERIES = {
    "slug": DEMO_SLUG,
    "title": "Trafficking in Human Beings: The 4Ps Revisited",
    "short_description": (
        "Four online modules of the Khartoum Process, one for each of the 4Ps of "
        "anti-trafficking work: Prevention, Protection, Prosecution and Partnership."
    ),
    "description": (
        "The Khartoum Process - the EU-Horn of Africa Migration Route Initiative - brings "
        "together the countries along the migration route between the Horn of Africa and "
        "Europe, with the European Union, the African Union Commission and international "
        "organisations as observers. Trafficking in human beings has been on its agenda at "
        "many thematic meetings, and its partners have launched many initiatives since.\n\n"
        "This series looks at the topic again through the 4Ps framework, with recent good "
        "practices from members of the Process and, where relevant, what the COVID-19 "
        "pandemic changed in each area. Each two-hour module opens with a keynote that sets "
        "the scene, followed by panels of short presentations by member states, regional "
        "bodies and international organisations, and an open discussion.\n\n"
        "A background note is shared before each module as pre-reading. After the series, a "
        "Reader brings together an overview of the four webinars and the four notes."
    ),
    "title_fr": "La traite des êtres humains : les 4P revisités",
    "short_description_fr": (
        "Quatre modules en ligne du Processus de Khartoum, un pour chacun des 4P de la lutte "
        "contre la traite : Prévention, Protection, Poursuites et Partenariat."
    ),
    "description_fr": (
        "Le Processus de Khartoum – l'Initiative sur la route migratoire UE-Corne de l'Afrique – "
        "réunit les pays situés le long de la route migratoire entre la Corne de l'Afrique et "
        "l'Europe, avec l'Union européenne, la Commission de l'Union africaine et des "
        "organisations internationales comme observateurs. La traite des êtres humains a été à "
        "l'ordre du jour de nombreuses réunions thématiques, et ses partenaires ont lancé depuis "
        "de nombreuses initiatives.\n\n"
        "Cette série revient sur le sujet à travers le cadre des 4P, avec des bonnes pratiques "
        "récentes des membres du Processus et, le cas échéant, ce que la pandémie de COVID-19 a "
        "changé dans chaque domaine. Chaque module de deux heures s'ouvre sur une intervention "
        "liminaire qui pose le cadre, suivie de tables rondes de courtes présentations par des "
        "États membres, des organismes régionaux et des organisations internationales, puis "
        "d'une discussion ouverte.\n\n"
        "Une note d'information est transmise avant chaque module comme lecture préparatoire. "
        "Après la série, un Recueil rassemble une présentation des quatre webinaires et les "
        "quatre notes."
    ),
    "organiser": "Khartoum Process Secretariat",
    "chair": "The Netherlands (Chair of the Khartoum Process)",
    "timezone": "Europe/Brussels",
    "languages": "en,fr",
    "sender_email": "webinars@khartoumprocess.example",
    "sender_name": "Khartoum Process Secretariat",
}


@dataclass(frozen=True)
class DemoSpeaker:
    role: str
    organisation: str


@dataclass(frozen=True)
class DemoAgendaItem:
    offset_minutes: int
    kind: str
    title: str
    speakers: tuple[DemoSpeaker, ...] = ()


@dataclass(frozen=True)
class DemoNote:
    title: str
    abstract: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class DemoModule:
    number: int
    pillar: str
    title: str
    thematic_focus: str
    description: str
    agenda: tuple[DemoAgendaItem, ...]
    note: DemoNote
    capacity: int = CAPACITY
    pillar_fr: str = ""
    title_fr: str = ""
    thematic_focus_fr: str = ""

    @property
    def join_url(self) -> str:
        """A made-up meeting link on a reserved example domain."""
        return f"https://zoom.example.org/j/8140020{self.number:03d}"


CHAIR = DemoSpeaker("Representative of the Chair", "Ministry of Foreign Affairs of the Netherlands")
SECRETARIAT = DemoSpeaker("Head of the Secretariat", "Khartoum Process Secretariat")
MODERATOR = DemoSpeaker("Moderator", "Khartoum Process Secretariat")


def _opening(title: str = "Welcome and opening remarks") -> DemoAgendaItem:
    return DemoAgendaItem(0, "opening", title, (CHAIR, SECRETARIAT))


def _discussion(offset: int) -> DemoAgendaItem:
    return DemoAgendaItem(offset, "discussion", "Questions and open discussion", (MODERATOR,))


def _closing(title: str = "Key takeaways and closing remarks") -> DemoAgendaItem:
    return DemoAgendaItem(110, "closing", title, (SECRETARIAT,))


MODULES: tuple[DemoModule, ...] = (
    DemoModule(
        number=1,
        pillar="Prevention",
        title="Preventing trafficking for labour exploitation",
        thematic_focus="Labour exploitation",
        pillar_fr="Prévention",
        title_fr="Prévenir la traite à des fins d'exploitation par le travail",
        thematic_focus_fr="L'exploitation par le travail",
        description=(
            "How can countries of origin, transit and destination stop labour exploitation "
            "before it starts? The first module looks at regional cooperation between labour "
            "authorities, at training and awareness raising before people leave, and at "
            "ethical recruitment. A keynote on labour exploitation in the region opens the "
            "session."
        ),
        agenda=(
            _opening(),
            DemoAgendaItem(
                10,
                "keynote",
                "Labour exploitation along the migration route: setting the scene",
                (
                    DemoSpeaker(
                        "Expert on forced labour", "International Labour Organization (ILO)"
                    ),
                ),
            ),
            DemoAgendaItem(
                25,
                "panel",
                "Regional cooperation to prevent labour exploitation",
                (
                    DemoSpeaker(
                        "Official in charge of bilateral labour agreements",
                        "Ministry of Labour of a member state",
                    ),
                    DemoSpeaker("Policy officer", "European Labour Authority (ELA)"),
                ),
            ),
            DemoAgendaItem(
                50,
                "panel",
                "Pre-departure training and awareness raising",
                (
                    DemoSpeaker(
                        "Head of pre-departure training", "National employment authority"
                    ),
                    DemoSpeaker(
                        "Campaign coordinator", "Awareness campaign on public transport"
                    ),
                ),
            ),
            DemoAgendaItem(
                75,
                "panel",
                "Ethical recruitment",
                (
                    DemoSpeaker(
                        "Programme manager", "National external employment information system"
                    ),
                    DemoSpeaker("Project lead", "NGO project on ethical recruitment"),
                ),
            ),
            _discussion(95),
            _closing(),
        ),
        note=DemoNote(
            title="Background note: Prevention and labour exploitation (demo text)",
            abstract=(
                "Demo text. A short note for the demo of this application, not the real "
                "background note. It outlines why labour exploitation is a main form of "
                "trafficking along the route, and three lines of prevention discussed in the "
                "module: cooperation between labour authorities, pre-departure training and "
                "awareness raising, and ethical recruitment."
            ),
            paragraphs=(
                "Labour exploitation is one of the most widespread forms of trafficking in "
                "human beings along the route between the Horn of Africa and Europe. People "
                "looking for work abroad meet recruiters who charge high fees, promise jobs "
                "that do not exist, or hold back documents and wages once they arrive.",
                "Prevention works best before departure. Countries of origin can inform "
                "jobseekers about legal routes and their rights, train them before they "
                "leave, and check the agencies that recruit them. Countries of destination "
                "can inspect workplaces and make it safe for workers to report abuse.",
                "Cooperation between labour authorities matters as much as cooperation "
                "between police forces. Bilateral labour agreements, shared registers of "
                "licensed recruiters and joint inspections close the gaps that traffickers "
                "use.",
                "Ethical recruitment - no fees charged to workers, clear contracts, honest "
                "information - takes away the debt that so often turns a job into forced "
                "labour. The module asks what has worked, what the pandemic changed, and what "
                "members could do together next.",
            ),
        ),
    ),
    DemoModule(
        number=2,
        pillar="Protection",
        title="Protecting and assisting victims of trafficking",
        thematic_focus="Protection of and assistance to victims",
        pillar_fr="Protection",
        title_fr="Protéger et assister les victimes de la traite",
        thematic_focus_fr="Protection et assistance aux victimes",
        description=(
            "The second module turns to the people who have been trafficked: how they are "
            "identified, referred and supported. Regional and national speakers present "
            "structural and policy responses, and direct support and assistance to victims."
        ),
        agenda=(
            _opening(),
            DemoAgendaItem(
                10,
                "keynote",
                "Putting victims first: protection standards and practice",
                (
                    DemoSpeaker(
                        "Senior specialist on protection and assistance",
                        "International Organization for Migration (IOM)",
                    ),
                ),
            ),
            DemoAgendaItem(
                30,
                "panel",
                "Structural and policy responses",
                (
                    DemoSpeaker(
                        "Coordinator of the national referral mechanism",
                        "National anti-trafficking task force of a member state",
                    ),
                    DemoSpeaker("Policy officer", "African Union Commission"),
                ),
            ),
            DemoAgendaItem(
                60,
                "panel",
                "Direct support and assistance to victims",
                (
                    DemoSpeaker("Shelter programme coordinator", "NGO assisting survivors"),
                    DemoSpeaker(
                        "Protection officer",
                        "Office of the UN High Commissioner for Refugees (UNHCR)",
                    ),
                ),
            ),
            _discussion(90),
            _closing(),
        ),
        note=DemoNote(
            title="Background note: Protection of and assistance to victims (demo text)",
            abstract=(
                "Demo text. A short note for the demo of this application, not the real "
                "background note. It sums up what protection means for victims of trafficking "
                "- identification, referral, shelter, health care, legal aid - and the "
                "structural and direct responses discussed in the module."
            ),
            paragraphs=(
                "Protection starts with identification. Many victims do not see themselves "
                "as victims, fear the authorities, or are treated as irregular migrants. "
                "Front-line staff who know the signs, and a clear path from identification to "
                "help, make the difference.",
                "A national referral mechanism sets out who does what: who identifies, who "
                "provides shelter, medical and psychological care, legal advice and "
                "interpretation, and how cases move between agencies and across borders.",
                "Direct assistance has to be safe, voluntary and adapted to each person: "
                "children, women and men have different needs, and so do people who want to "
                "return home and people who cannot.",
                "During the pandemic shelters closed or filled up and services moved online. "
                "The module collects the practices that kept victims protected and asks which "
                "of them should remain.",
            ),
        ),
    ),
    DemoModule(
        number=3,
        pillar="Prosecution",
        title="Prosecuting traffickers through international cooperation",
        thematic_focus="International cooperation",
        pillar_fr="Poursuites",
        title_fr="Poursuivre les trafiquants grâce à la coopération internationale",
        thematic_focus_fr="La coopération internationale",
        description=(
            "Trafficking networks cross borders; investigations and prosecutions must as well. "
            "After a keynote on investigations and prosecutions in Eastern Africa, the module "
            "looks at joint regional and international investigations and at judicial "
            "cooperation."
        ),
        agenda=(
            _opening(),
            DemoAgendaItem(
                10,
                "keynote",
                "Investigating and prosecuting trafficking in Eastern Africa",
                (
                    DemoSpeaker(
                        "Crime prevention and criminal justice officer",
                        "UN Office on Drugs and Crime (UNODC)",
                    ),
                ),
            ),
            DemoAgendaItem(
                30,
                "panel",
                "Joint regional and international investigations",
                (
                    DemoSpeaker(
                        "Analyst",
                        "Regional Operational Centre in support of the Khartoum Process (ROCK)",
                    ),
                    DemoSpeaker("Head of unit", "National police anti-trafficking unit"),
                ),
            ),
            DemoAgendaItem(
                60,
                "panel",
                "Judicial cooperation",
                (
                    DemoSpeaker("Liaison magistrate", "Liaison magistrates initiative"),
                    DemoSpeaker("Senior prosecutor", "National prosecution service"),
                ),
            ),
            _discussion(90),
            _closing(),
        ),
        note=DemoNote(
            title="Background note: Prosecution and international cooperation (demo text)",
            abstract=(
                "Demo text. A short note for the demo of this application, not the real "
                "background note. It explains why trafficking cases need cooperation across "
                "borders, and introduces joint investigations, information sharing between "
                "police forces and judicial cooperation such as liaison magistrates."
            ),
            paragraphs=(
                "Few trafficking cases reach a court, and fewer end in a conviction. Evidence, "
                "suspects, victims and money are often in different countries, and each "
                "country sees only part of the network.",
                "Joint investigations bring that picture together. Regional operational "
                "centres let police forces share intelligence quickly and follow a network "
                "from the place of recruitment to the place of exploitation.",
                "Judicial cooperation turns intelligence into evidence a court accepts. "
                "Mutual legal assistance, extradition and liaison magistrates who know both "
                "legal systems shorten procedures that can otherwise take years.",
                "Following the money - financial investigations and the seizure of assets - "
                "hits the business model of traffickers. The module asks which forms of "
                "cooperation have proved their worth and how they could be extended.",
            ),
        ),
    ),
    DemoModule(
        number=4,
        pillar="Partnership",
        title="Partnerships against trafficking",
        thematic_focus="Cross-sector and institutional partnerships",
        pillar_fr="Partenariat",
        title_fr="Des partenariats contre la traite",
        thematic_focus_fr="Les partenariats intersectoriels et institutionnels",
        description=(
            "No single actor can end trafficking. The last module looks at partnerships with "
            "the financial and technology sectors and at institutional partnerships, such as "
            "a rapid alert system piloted by three international organisations to act on "
            "information about victims."
        ),
        agenda=(
            _opening(),
            DemoAgendaItem(
                10,
                "keynote",
                "Why partnerships are the fourth P",
                (
                    DemoSpeaker(
                        "Adviser on anti-trafficking partnerships",
                        "Ministry of Foreign Affairs of the Netherlands",
                    ),
                ),
            ),
            DemoAgendaItem(
                30,
                "panel",
                "Partnerships with the financial and technology sectors",
                (
                    DemoSpeaker("Financial crime specialist", "Banking sector alliance"),
                    DemoSpeaker("Programme lead", "Technology industry initiative"),
                ),
            ),
            DemoAgendaItem(
                60,
                "panel",
                "Institutional partnerships: a joint rapid alert system",
                (
                    DemoSpeaker(
                        "Programme officer", "International Organization for Migration (IOM)"
                    ),
                    DemoSpeaker("Programme officer", "UN Office on Drugs and Crime (UNODC)"),
                    DemoSpeaker(
                        "Protection officer",
                        "Office of the UN High Commissioner for Refugees (UNHCR)",
                    ),
                ),
            ),
            _discussion(90),
            _closing("Closing of the series"),
        ),
        note=DemoNote(
            title="Background note: Cross-sector and institutional partnerships (demo text)",
            abstract=(
                "Demo text. A short note for the demo of this application, not the real "
                "background note. It describes how partnerships with banks, technology "
                "companies and between international organisations support the other three "
                "Ps, with the example of a joint rapid alert system."
            ),
            paragraphs=(
                "Partnership is the P that holds the other three together. Prevention, "
                "protection and prosecution all depend on actors who do not answer to one "
                "another: ministries, police, courts, international organisations, civil "
                "society and private companies.",
                "Banks see the money that trafficking generates. Working with financial "
                "intelligence units, they can learn the patterns of suspicious payments and "
                "report them. Technology companies can remove fraudulent job offers and help "
                "investigators trace online recruitment.",
                "Institutions also need to share information quickly. A rapid alert system, "
                "piloted jointly by three international organisations, lets a report about a "
                "victim in danger reach those who can act within hours rather than weeks.",
                "Good partnerships have clear roles, protect personal data and last beyond a "
                "single project. The module asks what makes them work and how the Khartoum "
                "Process can strengthen them.",
            ),
        ),
    ),
)
