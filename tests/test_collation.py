"""Lists sorted for people follow the reader's language's collation (Unicode, not code points).

In French, Bénin comes before Brésil and Brunei, and Égypte, Érythrée and Éthiopie sit among
the E, not after Zimbabwe; the English lists read as before, accented names among their letter.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from webinar_app.extensions import db
from webinar_app.models import Person, Registration


class _Options(HTMLParser):
    """The option labels of one <select>, in page order."""

    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name, self.labels, self._inside, self._in_option = name, [], False, False

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self._inside = dict(attrs).get("name") == self.name
        elif tag == "option" and self._inside:
            self._in_option = True
            self.labels.append("")

    def handle_endtag(self, tag):
        if tag == "option":
            self._in_option = False
        elif tag == "select":
            self._inside = False

    def handle_data(self, data):
        if self._in_option:
            self.labels[-1] += data


def options(html: str, name: str) -> list[str]:
    parser = _Options(name)
    parser.feed(html)
    return [label.strip() for label in parser.labels[1:]]  # without "Choose…"


def _before(labels: list[str], *names: str) -> None:
    positions = [labels.index(name) for name in names]
    assert positions == sorted(positions), [labels[p] for p in sorted(positions)]


@pytest.fixture()
def series(make_series, make_module):
    series = make_series()
    make_module(series, number=1)
    return series


def test_french_country_list_follows_french_collation(client, series):
    client.set_cookie("lang", "fr")
    html = client.get(f"/series/{series.slug}/register").get_data(as_text=True)
    countries = options(html, "country")
    _before(countries, "Bénin", "Brésil", "Brunei", "Burundi")
    _before(countries, "Danemark", "Égypte", "Émirats arabes unis", "Équateur", "Érythrée",
            "Espagne", "Estonie", "Éthiopie", "France")
    assert countries[-1] == "Zimbabwe"


def test_english_country_list_keeps_its_order_with_accented_names_among_their_letter(
    client, series
):
    client.set_cookie("lang", "en")
    html = client.get(f"/series/{series.slug}/register").get_data(as_text=True)
    countries = options(html, "country")
    assert countries[0] == "Afghanistan"
    _before(countries, "Benin", "Brazil", "Brunei", "Burundi", "Egypt", "Eritrea", "Ethiopia")
    _before(countries, "Costa Rica", "Côte d’Ivoire", "Croatia")
    _before(countries, "Aland Islands" if "Aland Islands" in countries else "Åland Islands",
            "Albania")
    assert countries[-1] == "Zimbabwe"


def test_organisation_types_are_alphabetical_in_the_readers_language_other_last(client, series):
    client.set_cookie("lang", "fr")
    html = client.get(f"/series/{series.slug}/register").get_data(as_text=True)
    assert options(html, "organisation_type") == [
        "Gouvernement d'un État membre", "Milieu universitaire", "ONG ou société civile",
        "Organisation internationale", "Organisme régional", "Autre"]


def test_report_ties_follow_french_collation(client, series, make_user, login):
    for number, country in enumerate(("EG", "BN", "BR", "BJ", "ZW")):
        person = Person(series=series, email=f"p{number}@example.org", full_name=f"P {number}",
                        country=country, organisation_type="ngo")
        person.registrations.append(Registration(module=series.modules[0], status="registered"))
        db.session.add(person)
    db.session.commit()
    login(make_user())
    client.set_cookie("lang", "fr")
    html = client.get(f"/admin/series/{series.slug}/reports").get_data(as_text=True)
    rows = re.findall(r'<th scope="row">(.*?)</th>', html)
    _before(rows, "Bénin", "Brésil", "Brunei", "Égypte", "Zimbabwe")
