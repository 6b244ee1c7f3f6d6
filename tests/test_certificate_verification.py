"""Certificates in the participant's language, and the public page that confirms one from the
reference printed on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from webinar_app.core.tokens import issue_token
from webinar_app.extensions import db
from webinar_app.models import ModuleStatus, Person, Registration, utcnow


@pytest.fixture()
def participant(make_series, make_module):
    series = make_series(title_fr="Série d'essai")
    held_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
    first = make_module(series, number=1, title="Preventing labour exploitation",
                        title_fr="Prévenir l'exploitation par le travail", starts_at=held_at,
                        status=ModuleStatus.HELD.value)
    second = make_module(series, number=2, title="Protecting victims")
    person = Person(series=series, email="amina@example.org", full_name="Amina Diallo",
                    organisation="Ministry of Justice", language="fr")
    person.registrations.append(Registration(module=first, attendance="attended"))
    person.registrations.append(Registration(module=second, attendance="absent"))
    db.session.add(person)
    token = issue_token(person)
    db.session.commit()
    return person, token


def _certificate(client, token: str) -> PdfReader:
    response = client.get(f"/me/{token}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return PdfReader(BytesIO(response.data))


def _verification_url(reader: PdfReader) -> str:
    links = [annot.get_object()["/A"]["/URI"] for annot in reader.pages[0].get("/Annots", [])]
    # a link wrapped onto two lines is two annotations with the same address
    found = sorted({link for link in links if "/certificates/" in link})
    assert len(found) == 1, links
    return found[0]


def test_a_french_participant_gets_a_french_certificate(client, participant):
    _person, token = participant
    client.set_cookie("lang", "en")  # the page's language does not matter: the person's does
    reader = _certificate(client, token)
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Attestation de participation" in text and "Amina Diallo" in text
    assert "Série d'essai" in text and "Prévenir l'exploitation par le travail" in text
    assert "Certificate of attendance" not in text


def test_an_english_participant_keeps_an_english_certificate(client, participant):
    person, token = participant
    person.language = "en"
    db.session.commit()
    text = " ".join(_certificate(client, token).pages[0].extract_text().split())
    assert "Certificate of attendance" in text and "Preventing labour exploitation" in text


def test_the_printed_reference_opens_a_page_with_the_facts_and_nothing_else(
    client, participant, app
):
    _person, token = participant
    url = _verification_url(_certificate(client, token))
    assert url.startswith(app.config["BASE_URL"].rstrip("/") + "/certificates/")
    path = url.removeprefix(app.config["BASE_URL"].rstrip("/"))
    client.delete_cookie("session")
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    html = response.get_data(as_text=True)
    assert "This certificate is genuine" in html and "Amina Diallo" in html
    assert "Test series" in html and "Preventing labour exploitation" in html
    assert "Protecting victims" not in html  # not attended
    assert utcnow().strftime("%Y") in html  # the date of issue
    assert "amina@example.org" not in html and "Ministry of Justice" not in html
    assert token not in html


def test_a_forged_or_changed_reference_is_a_clear_404(client, participant):
    _person, token = participant
    url = _verification_url(_certificate(client, token))
    reference = url.rsplit("/", 1)[1]
    payload, signature = reference.split(".")
    forged = [payload + "." + signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"),
              "WzEsIjIwMjYtMDEtMDEiXQ.forged", "not-a-reference", "x" * 300]
    for wrong in forged:
        response = client.get(f"/certificates/{wrong}", headers={"Accept-Language": "en"})
        assert response.status_code == 404, wrong
        assert "Certificate not found" in response.get_data(as_text=True)


def test_the_reference_of_an_erased_person_no_longer_confirms(client, participant):
    person, token = participant
    url = _verification_url(_certificate(client, token))
    person.erased_at = utcnow()
    db.session.commit()
    path = "/certificates/" + url.rsplit("/", 1)[1]
    assert client.get(path).status_code == 404


def test_the_verification_page_is_rate_limited_like_personal_links(app, client, participant):
    app.config["TOKEN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.get("/certificates/guess-one").status_code == 404
    assert client.get("/certificates/guess-two").status_code == 429
