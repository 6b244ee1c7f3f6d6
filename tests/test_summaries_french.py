"""A summary's French version: written and reviewed with it, kept in revisions and compared,
shown to French readers on the public pages (English, said so, where there is none)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.summary_helpers import (
    IsolatedClient,
    approve_and_publish,
    client_for,
    post_action,
    summary_url,
)
from webinar_app.extensions import db
from webinar_app.models import SummaryRevision

NOT_IN_FRENCH = "pas disponible en français"  # the note, in French


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture()
def writer(app, make_user):
    return client_for(app, make_user("organiser@example.org", "organiser"))


@pytest.fixture()
def checker(app, make_user):
    return client_for(app, make_user("reviewer@example.org", "reviewer"))


@pytest.fixture()
def module(make_series, make_module):
    return make_module(make_series(languages="en,fr"), status="held")


def _save(client, module, body: str, body_fr: str = "", takeaways_fr: str = ""):
    url = summary_url(module) + "/edit"
    return client.post(url, data={
        "csrf_token": csrf_token(client, url), "body_markdown": body,
        "key_takeaways": "Cooperate early", "attendance_figure": "",
        "body_markdown_fr": body_fr, "key_takeaways_fr": takeaways_fr,
    })


def _publish(writer, checker, module) -> None:
    assert post_action(writer, module, "submit").status_code == 302
    assert approve_and_publish(checker, module).status_code == 302


def _public(client, module, language: str) -> str:
    client.set_cookie("lang", language)
    return client.get(f"/series/{module.series.slug}/modules/{module.number}"
                      ).get_data(as_text=True)


def test_the_edit_form_has_french_fields_kept_in_revisions_and_compared(writer, module):
    form = writer.get(summary_url(module) + "/edit").get_data(as_text=True)
    assert 'name="body_markdown_fr"' in form and 'name="key_takeaways_fr"' in form
    assert _save(writer, module, "The panel met.", "Le panel s'est réuni.",
                 "Coopérer tôt").status_code == 302
    assert _save(writer, module, "The panel met.", "Le panel s'est réuni longuement.",
                 "Coopérer tôt").status_code == 302
    revisions = db.session.scalars(select(SummaryRevision).order_by(SummaryRevision.number)).all()
    assert [r.body_markdown_fr for r in revisions] == [
        "Le panel s'est réuni.", "Le panel s'est réuni longuement."]
    assert revisions[0].key_takeaways_fr == "Coopérer tôt"
    edit = writer.get(summary_url(module) + "/edit").get_data(as_text=True)
    assert "Le panel s&#39;est réuni longuement." in edit

    html = writer.get(summary_url(module) + "/compare?old=1&new=2").get_data(as_text=True)
    assert "# Summary in French" in html and "[inserted:] </span>réuni longuement.</ins>" in html
    assert "Paragraphs changed: 1, added: 0, removed: 0." in html
    old = writer.get(summary_url(module) + "/revisions/1").get_data(as_text=True)
    assert 'lang="fr"' in old and "réuni.</p>" in old and "longuement" not in old


def test_french_readers_see_the_french_version_and_english_readers_the_english(
    writer, checker, module, client
):
    _save(writer, module, "The panel met.", "Le panel a *débattu*.", "Coopérer tôt")
    _publish(writer, checker, module)
    french = _public(client, module, "fr")
    assert "Le panel a <em>débattu</em>." in french and "Coopérer tôt" in french
    assert "The panel met." not in french and NOT_IN_FRENCH not in french
    english = _public(client, module, "en")
    assert "The panel met." in english and "Cooperate early" in english
    assert "Le panel" not in english
    client.set_cookie("lang", "fr")
    listing = client.get(f"/series/{module.series.slug}/summaries").get_data(as_text=True)
    assert "Le panel a <em>débattu</em>." in listing


def test_without_a_french_version_french_readers_get_english_with_a_note(
    writer, checker, module, client
):
    _save(writer, module, "The panel met.")
    _publish(writer, checker, module)
    french = _public(client, module, "fr")
    assert "The panel met." in french and "Cooperate early" in french
    assert NOT_IN_FRENCH in french and 'class="summary-body" lang="en"' in french
    assert NOT_IN_FRENCH not in _public(client, module, "en")
