"""Certificates of attendance from the personal page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from webinar_app.core.tokens import issue_token
from webinar_app.extensions import db
from webinar_app.models import ModuleStatus, Person, Registration


@pytest.fixture()
def participant(make_series, make_module):
    series = make_series()
    first = make_module(series, number=1, title="Preventing labour exploitation",
                        starts_at=datetime.now(UTC).replace(second=0, microsecond=0)
                        - timedelta(days=7), status=ModuleStatus.HELD.value)
    second = make_module(series, number=2, title="Protecting victims")
    person = Person(series=series, email="amina@example.org", full_name="Amina Diallo",
                    organisation="Ministry of Justice")
    person.registrations.append(Registration(module=first, attendance="attended"))
    person.registrations.append(Registration(module=second, attendance="absent"))
    db.session.add(person)
    token = issue_token(person)
    db.session.commit()
    return person, token


def test_attendee_downloads_a_one_page_certificate_from_the_personal_page(client,
                                                                          participant):
    _person, token = participant
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert f"/me/{token}/certificate.pdf" in page
    assert "1 module attended." in page

    response = client.get(f"/me/{token}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(BytesIO(response.data))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Certificate of attendance" in text and "Amina Diallo" in text
    assert "Test series" in text and "Preventing labour exploitation" in text
    assert "Protecting victims" not in text


def test_no_certificate_below_the_configured_number_of_modules(app, client, participant):
    _person, token = participant
    app.config["CERTIFICATE_MIN_ATTENDED"] = 2
    assert "certificate.pdf" not in client.get(f"/me/{token}").get_data(as_text=True)
    response = client.get(f"/me/{token}/certificate.pdf")
    assert response.status_code == 403
    assert "at least 2 module(s)" in response.get_data(as_text=True)


def test_certificate_needs_a_valid_personal_link(client, participant):
    assert client.get("/me/not-a-token/certificate.pdf").status_code == 404
