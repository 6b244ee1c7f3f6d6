"""The one context every email about a module is composed from (webinar_app/outbox/compose.py).

People register through the form; the context is then built for them as the emails build it,
and the links it holds are fetched through the app.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import force_locale

from tests.registration_helpers import person_by_email, register
from webinar_app.extensions import db
from webinar_app.followups.services import queue_followups
from webinar_app.models import AgendaItem, Module, ModuleStatus, Speaker
from webinar_app.outbox.compose import module_email_context
from webinar_app.outbox.mailer import deliver_due

START = datetime(2031, 3, 4, 13, 0, tzinfo=UTC)  # 14:00 in Brussels, 13:00 in Dakar
BASE = "http://webinars.test"


def _agenda(module: Module) -> None:
    item = AgendaItem(module=module, position=0, start_offset_minutes=0, kind="panel",
                      title="Opening", title_fr="Ouverture")
    item.speakers.append(Speaker(position=0, name="Amal Osman", role="Expert",
                                 organisation="UNODC"))
    db.session.add(item)
    db.session.commit()


def _scene(make_series, make_module, make_note, *, is_chatham_house: bool = False):
    series = make_series()
    module = make_module(series, starts_at=START, title="Prevention first",
                         title_fr="La prévention d'abord", is_chatham_house=is_chatham_house)
    _agenda(module)
    make_note(module, is_prereading=True, title="Note on prevention", title_fr="Note (fr)")
    make_note(module, is_prereading=False, title="Not pre-reading")
    make_note(module, is_prereading=True, is_published=False, title="Draft note")
    return module


def _registered(client, **fields):
    response = register(client, **fields)
    assert response.status_code == 302
    return person_by_email(fields.get("email", "Amina.Diallo@Example.org"))


def test_a_registrant_gets_both_zones_the_join_link_agenda_prereading_and_personal_link(
    client, make_series, make_module, make_note
):
    module = _scene(make_series, make_module, make_note)
    person = _registered(client)  # Africa/Dakar
    with force_locale("en"):
        context = module_email_context(module, person, with_join_link=True)
    assert context.summary == "Module 1 — Prevention: Prevention first"
    assert context.when is not None
    assert "14:00–16:00 (Brussels" in context.when.series
    assert context.when.person is not None and "13:00–15:00 (Dakar" in context.when.person
    assert context.join_url == "https://zoom.example.org/j/123456"
    assert context.agenda == ("- Opening (Amal Osman, Expert, UNODC)",)
    assert [note.title for note in context.prereading] == ["Note on prevention"]
    assert context.prereading[0].kind.startswith("PDF, ")
    assert context.personal_url is not None and context.personal_url.startswith(f"{BASE}/me/")
    assert context.module_url == f"{BASE}/series/test-series/modules/1"
    for url in (context.personal_url, context.module_url, context.prereading[0].url):
        assert client.get(url.removeprefix(BASE)).status_code == 200, url
    assert context.as_dict()["summary"] == context.summary


def test_the_join_link_only_when_the_kind_shows_it_and_the_module_has_one(
    client, make_series, make_module, make_note
):
    module = _scene(make_series, make_module, make_note)
    person = _registered(client)
    with force_locale("en"):
        assert module_email_context(module, person).join_url is None
        module.join_url = ""
        assert module_email_context(module, person, with_join_link=True).join_url is None


def test_under_the_chatham_house_rule_the_agenda_names_no_speaker(
    client, make_series, make_module, make_note
):
    module = _scene(make_series, make_module, make_note, is_chatham_house=True)
    person = _registered(client)
    with force_locale("en"):
        context = module_email_context(module, person, with_join_link=True)
    assert context.agenda == ("- Opening (Expert, UNODC)",)


def test_a_french_reader_in_the_series_zone_gets_french_texts_and_one_time(
    client, make_series, make_module, make_note
):
    module = _scene(make_series, make_module, make_note)
    person = _registered(client, email="jean@example.org", language="fr",
                         timezone="Europe/Brussels")
    with force_locale("fr"):
        context = module_email_context(module, person)
    assert "La prévention d'abord" in context.summary
    assert context.when is not None and context.when.person is None
    assert "mars 2031" in context.when.series
    assert context.agenda == ("- Ouverture (Amal Osman, Expert, UNODC)",)
    assert [note.title for note in context.prereading] == ["Note (fr)"]


def test_a_programme_entry_without_a_reader_has_no_personal_link_and_the_series_zone(
    make_series, make_module, make_note
):
    module = _scene(make_series, make_module, make_note)
    with force_locale("en"):
        context = module_email_context(module)
    assert context.person is None and context.personal_url is None and context.join_url is None
    assert context.when is not None and context.when.person is None
    assert context.focus == "Focus"


def test_the_followup_shows_the_readers_zone_like_every_other_module_email(
    make_series, make_module, make_registration, smtp_sink
):
    series = make_series()
    held = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
    module = make_module(series, starts_at=held, status=ModuleStatus.HELD.value)
    make_registration(module, timezone="Africa/Nairobi")
    assert queue_followups(module) == 1
    db.session.commit()
    assert deliver_due().sent == 1
    message = smtp_sink.messages[0].message
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Held on:" in body and "(Brussels" in body
        assert "In your time zone:" in body and "(Nairobi" in body
