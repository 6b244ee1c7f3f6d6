"""A module's recording and slides links: on its public page and personal pages once held, and
emailed to attendees and absentees after the follow-ups, previewed first, once per link."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.registration_helpers import token_of
from webinar_app.extensions import db
from webinar_app.models import ModuleStatus, Person

PAST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
PAGE = "/admin/series/test-series/modules/1/recording"
EMAIL_PAGE = f"{PAGE}/email"
VIDEO = "https://video.example.org/m1?lang=en&quality=high"
SLIDES = "https://slides.example.org/m1.pdf"


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def _save(client, recording_url: str, slides_url: str = ""):
    return client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE),
                                   "recording_url": recording_url, "slides_url": slides_url})


def _confirm(client):
    page = client.get(EMAIL_PAGE).get_data(as_text=True)
    links = re.search(r'name="links"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="links"', page)
    assert links, "no confirmation form"
    return client.post(EMAIL_PAGE, data={"csrf_token": csrf_token(client, EMAIL_PAGE),
                                         "links": links.group(1)})


def _recipients(sink) -> list[str]:
    return sorted(m.rcpt_tos[0] for m in sink.messages)


@pytest.fixture()
def held(make_series, make_module, make_registration):
    """A held module with an English attendee, an English absentee and a French absentee."""
    series = make_series()
    module = make_module(series, starts_at=PAST, status=ModuleStatus.HELD.value)
    make_registration(module, email="came@example.org").attendance = "attended"
    make_registration(module, email="missed@example.org",
                      full_name="Ben Absent").attendance = "absent"
    make_registration(module, email="absente@example.org", language="fr",
                      full_name="Awa Diallo").attendance = "absent"
    make_registration(module, email="waiting@example.org", status="waiting")
    db.session.commit()
    return module


@pytest.fixture()
def organiser(client, make_user, login):
    login(make_user())
    return client


def _send_followups(client, runner, sink) -> None:
    url = "/admin/series/test-series/modules/1/followup"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "recording_url": ""})
    assert response.status_code == 302
    runner.invoke(args=["mail", "deliver"])
    sink.messages.clear()


def test_link_shows_on_public_page_only_once_the_module_is_held(
    organiser, make_series, make_module
):
    module = make_module(make_series(), starts_at=PAST)
    page = _text(organiser.get(PAGE))
    assert "they are shown only once the module is held" in page
    assert _save(organiser, VIDEO, SLIDES).status_code == 302
    organiser.get("/auth/logout")
    public = "/series/test-series/modules/1"
    assert VIDEO not in _text(organiser.get(public))
    assert SLIDES not in _text(organiser.get(public))

    module.status = ModuleStatus.HELD.value
    db.session.commit()
    shown = _text(organiser.get(public))
    assert "Recording and slides" in shown
    assert f'href="{VIDEO}"' in shown and f'href="{SLIDES}"' in shown
    assert 'class="meta link-wrap"' in shown


def _person(email: str) -> Person:
    return db.session.scalar(select(Person).where(Person.email == email))


def test_link_shows_on_each_registrants_personal_page_once_held(organiser, held):
    assert _save(organiser, VIDEO, SLIDES).status_code == 302
    page = _text(organiser.get(f"/me/{token_of(_person('absente@example.org'))}"))
    assert f'href="{VIDEO}"' in page and f'href="{SLIDES}"' in page
    assert 'class="link-wrap"' in page
    assert VIDEO not in _text(organiser.get(f"/me/{token_of(_person('waiting@example.org'))}"))


def test_personal_page_shows_no_link_before_the_module_is_held(
    organiser, make_series, make_module, make_registration
):
    module = make_module(make_series(), starts_at=PAST)
    make_registration(module, email="early@example.org")
    assert _save(organiser, VIDEO).status_code == 302
    assert "video.example.org" not in _text(
        organiser.get(f"/me/{token_of(_person('early@example.org'))}"))


def test_bad_links_are_refused_next_to_the_field(organiser, held):
    for bad in ("javascript:alert(1)", "ftp://files.example.org/v", "video.example.org/m1",
                'https://example.org/"><script>', "https://"):
        response = _save(organiser, bad)
        assert response.status_code == 422, bad
        page = _text(response)
        assert 'id="recording_url-error"' in page
        assert "Enter a web address starting with https:// or http://" in page
    response = _save(organiser, VIDEO, "slides.pdf")
    assert 'id="slides_url-error"' in response.get_data(as_text=True)
    assert held.recording_url == ""


def test_a_link_added_after_the_followups_is_offered_previewed_and_sent_once_each(
    organiser, held, runner, smtp_sink
):
    _send_followups(organiser, runner, smtp_sink)
    response = _save(organiser, VIDEO, SLIDES)
    assert response.status_code == 302 and response.headers["Location"].endswith(EMAIL_PAGE)

    preview = _text(organiser.get(EMAIL_PAGE))
    assert "3 people will get this email" in preview
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>", preview)
    assert [(name.strip(), int(a), int(b)) for name, a, b in rows] == [
        ("English", 1, 1), ("French", 0, 1)]
    assert "Ben Absent &lt;missed@example.org&gt;" in preview or \
        "Ben Absent <missed@example.org>" in preview
    assert "waiting@example.org" not in preview
    assert "The recording of what you missed: Module 1" in preview
    assert f"Watch the recording: {VIDEO}" in preview
    assert "Send 3 emails" in preview
    assert smtp_sink.messages == []  # nothing goes before the confirmation

    html_preview = organiser.get(re.search(r'href="([^"]*/recording/email/preview\?person=\d+)"',
                                           organiser.get(EMAIL_PAGE).get_data(as_text=True))
                                 .group(1).replace("&amp;", "&"))
    assert html_preview.status_code == 200
    assert "default-src 'none'" in html_preview.headers["Content-Security-Policy"]

    response = _confirm(organiser)
    assert response.status_code == 302
    assert "3 emails queued." in _text(organiser.get(response.headers["Location"]))
    runner.invoke(args=["mail", "deliver"])
    assert _recipients(smtp_sink) == [
        "absente@example.org", "came@example.org", "missed@example.org"]
    came = smtp_sink.to("came@example.org")[0].message
    assert came["Subject"].startswith("The recording is available")
    text = came.get_body(("plain",)).get_content()
    assert f"Watch the recording: {VIDEO}" in text and f"The slides: {SLIDES}" in text
    assert f'href="{html.escape(VIDEO)}"' in came.get_body(("html",)).get_content()
    french = smtp_sink.to("absente@example.org")[0].message.get_body(("plain",)).get_content()
    assert "Bonjour Awa Diallo," in french and "Tenu le" in french
    assert re.search(rf"Voir l.enregistrement[ \u202f]?: {re.escape(VIDEO)}", french)

    # re-saving the same link offers and sends nothing new
    smtp_sink.messages.clear()
    response = _save(organiser, VIDEO, SLIDES)
    assert response.headers["Location"].endswith(PAGE)
    assert "Email the recording link" not in _text(organiser.get(PAGE))
    assert "Nobody is waiting for this link" in _text(organiser.get(EMAIL_PAGE))
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.messages == []

    # a changed link is offered again, and goes once more to each
    response = _save(organiser, "https://video.example.org/m1-edited", SLIDES)
    assert response.headers["Location"].endswith(EMAIL_PAGE)
    assert "3 people will get this email" in _text(organiser.get(EMAIL_PAGE))
    _confirm(organiser)
    assert "Nobody is waiting for this link" in _text(organiser.get(EMAIL_PAGE))
    runner.invoke(args=["mail", "deliver"])
    assert _recipients(smtp_sink) == [
        "absente@example.org", "came@example.org", "missed@example.org"]
    assert "https://video.example.org/m1-edited" in smtp_sink.to("came@example.org")[0] \
        .message.get_body(("plain",)).get_content()


def test_a_link_saved_before_the_followups_rides_with_them_and_is_not_offered_again(
    organiser, held, runner, smtp_sink
):
    response = _save(organiser, VIDEO)
    assert response.headers["Location"].endswith(PAGE)  # no follow-ups yet: nothing offered
    url = "/admin/series/test-series/modules/1/followup"
    organiser.post(url, data={"csrf_token": csrf_token(organiser, url), "recording_url": VIDEO})
    runner.invoke(args=["mail", "deliver"])
    assert len(smtp_sink.messages) == 3
    assert "Email the recording link" not in _text(organiser.get(PAGE))
    assert "Nobody is waiting for this link" in _text(organiser.get(EMAIL_PAGE))


def test_changing_the_links_is_audited(organiser, held):
    _save(organiser, VIDEO)
    log = _text(organiser.get("/admin/series/test-series/audit"))
    assert "Changed the recording and slides links of module 1" in log


def test_nothing_can_be_emailed_before_the_module_is_held(organiser, make_series, make_module):
    make_module(make_series(), starts_at=PAST)
    _save(organiser, VIDEO)
    page = _text(organiser.get(EMAIL_PAGE))
    assert "The recording cannot be emailed yet." in page and "not marked as held" in page
    assert "Send" not in page


def test_a_preview_of_links_changed_since_sends_nothing(organiser, held, runner, smtp_sink):
    _send_followups(organiser, runner, smtp_sink)
    _save(organiser, VIDEO)
    old = re.search(r'name="links"[^>]*value="([^"]+)"',
                    organiser.get(EMAIL_PAGE).get_data(as_text=True)).group(1)
    _save(organiser, "https://video.example.org/other")
    response = organiser.post(EMAIL_PAGE, data={"csrf_token": csrf_token(organiser, EMAIL_PAGE),
                                                "links": old})
    assert "The links changed since this preview" in _text(
        organiser.get(response.headers["Location"]))
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.messages == []
