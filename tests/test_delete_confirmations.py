"""Deleting an agenda item, a background note or a module asks first, on a page that works
without JavaScript and says what else goes with it; GET never deletes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import AgendaItem, BackgroundNote, Module, Speaker, Summary

BASE = "/admin/series/test-series/modules/1"


@pytest.fixture()
def organiser(make_user, login):
    user = make_user()
    login(user)
    return user


@pytest.fixture()
def module(make_series, make_module):
    return make_module(make_series(), number=1)


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _confirm(client, url: str):
    return client.post(url, data={"csrf_token": csrf_token(client, url)})


def test_agenda_item_delete_page_lists_its_speakers_and_get_deletes_nothing(
    client, organiser, module
):
    item = AgendaItem(module=module, position=0, title="Opening panel", kind="panel")
    for position, (role, org) in enumerate([("Chair", "IOM"), ("Expert", "UNODC"),
                                            ("Judge", "High Court")]):
        item.speakers.append(Speaker(position=position, role=role, organisation=org))
    db.session.add(item)
    db.session.commit()
    detail = client.get(BASE).get_data(as_text=True)
    url = f"{BASE}/agenda/{item.id}/delete"
    assert f'href="{url}"' in detail  # a plain link, no script needed

    page = client.get(url)
    assert page.status_code == 200
    text = _text(page)
    assert "Delete the agenda item “Opening panel”?" in text
    assert "This also removes:" in text
    assert "3 speakers: Chair, IOM; Expert, UNODC; Judge, High Court" in text
    assert _count(AgendaItem) == 1 and _count(Speaker) == 3

    response = _confirm(client, url)
    assert response.status_code == 302
    assert _count(AgendaItem) == 0 and _count(Speaker) == 0
    assert "Agenda item deleted." in _text(client.get(response.headers["Location"]))


def test_note_delete_page_names_the_uploaded_file_and_its_size(
    client, organiser, module, make_note
):
    note = make_note(module, title="Background on prevention", data=b"%PDF-1.4\n" + b"x" * 421_888,
                     file_name="prevention.pdf")
    url = f"{BASE}/notes/{note.id}/delete"
    assert f'href="{url}"' in client.get(BASE).get_data(as_text=True)
    text = _text(client.get(url))
    assert "Delete the background note “Background on prevention”?" in text
    assert "the uploaded file prevention.pdf (412 KB)" in text
    assert "public module page" in text
    assert _count(BackgroundNote) == 1

    assert _confirm(client, url).status_code == 302
    assert _count(BackgroundNote) == 0


def test_draft_module_delete_page_lists_agenda_notes_and_summary(
    client, organiser, module, add_agenda, make_note
):
    module.status = "draft"
    db.session.add(Summary(module=module, body_markdown="Draft."))
    db.session.commit()
    add_agenda(module, count=2)
    make_note(module, title="Prevention note")
    url = f"{BASE}/delete"
    assert f'href="{url}"' in client.get(BASE).get_data(as_text=True)
    text = _text(client.get(url))
    assert "Delete module 1, “Module 1”?" in text
    assert "2 agenda items with 2 speakers" in text
    assert "the background note “Prevention note”" in text
    assert "its post-session summary" in text
    assert _count(Module) == 1

    response = _confirm(client, url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/series/test-series")
    assert (_count(Module), _count(AgendaItem), _count(BackgroundNote), _count(Summary)) == (
        0, 0, 0, 0)


def test_module_with_registrations_is_cancelled_not_deleted(
    client, organiser, module, make_registration
):
    make_registration(module, email="a@example.org")
    make_registration(module, email="b@example.org", status="waiting")
    url = f"{BASE}/delete"
    page = client.get(url)
    text = _text(page)
    assert "Module 1 has 2 registrations, so it cannot be deleted: cancel it instead" in text
    assert "Yes, delete" not in text
    assert f'href="{BASE}/cancel"' in page.get_data(as_text=True)
    response = _confirm(client, url)
    assert response.status_code == 422
    assert _count(Module) == 1


def test_scheduled_module_without_registrations_is_not_deleted_either(
    client, organiser, module
):
    text = _text(client.get(f"{BASE}/delete"))
    assert "Only a draft module can be deleted; cancel this one instead." in text
    assert "Delete module" not in _text(client.get(BASE))  # no button on a scheduled module
    assert _confirm(client, f"{BASE}/delete").status_code == 422
    assert _count(Module) == 1


def test_delete_without_csrf_deletes_nothing(client, organiser, module, make_note):
    note = make_note(module)
    response = client.post(f"{BASE}/notes/{note.id}/delete", data={})
    assert response.status_code in (200, 400)
    assert _count(BackgroundNote) == 1


def test_reviewer_cannot_open_a_delete_page(client, make_user, login, module, make_note):
    note = make_note(module)
    login(make_user("reviewer@example.org", "reviewer"))
    assert client.get(f"{BASE}/notes/{note.id}/delete").status_code == 403
    assert client.get(f"{BASE}/delete").status_code == 403
