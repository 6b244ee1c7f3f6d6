"""A second visit costs nothing: public documents carry an ETag and a public Cache-Control, set no
cookie, answer 304 to revalidation; personal, organiser and session answers stay private."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.test_admin_pages import module_form, post_form
from webinar_app.core.public_cache import PRIVATE_CACHE_CONTROL, PUBLIC_CACHE_CONTROL
from webinar_app.extensions import db
from webinar_app.models import Role

SLUG = "test-series"
PUBLIC_DOCUMENTS = [
    "/", "/series/", f"/series/{SLUG}", f"/series/{SLUG}/modules/1",
    f"/series/{SLUG}/summaries", f"/series/{SLUG}/good-practices",
    f"/series/{SLUG}/good-practices.csv", f"/series/{SLUG}/good-practices.json",
    f"/series/{SLUG}/calendar.ics", f"/series/{SLUG}/modules/1/calendar.ics",
    "/api/v1/series", f"/api/v1/series/{SLUG}", f"/api/v1/series/{SLUG}/modules",
]
PAGES = ["/", f"/series/{SLUG}", f"/series/{SLUG}/modules/1", f"/series/{SLUG}/summaries"]
STARTS_AT = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)


@pytest.fixture()
def series(make_series, make_module, add_agenda):
    series = make_series()
    add_agenda(make_module(series, number=1, title="Prevention first", starts_at=STARTS_AT))
    return series


@pytest.mark.parametrize("url", PUBLIC_DOCUMENTS)
def test_anonymous_get_is_publicly_cacheable_and_sets_no_cookie(client, series, url):
    response = client.get(url)

    assert response.status_code == 200, url
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL
    assert response.headers["ETag"]


@pytest.mark.parametrize("url", PUBLIC_DOCUMENTS)
def test_revalidation_answers_304_without_a_body(client, series, url):
    etag = client.get(url).headers["ETag"]

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304, url
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL
    assert "Set-Cookie" not in response.headers


def test_revalidation_answers_304_even_when_the_process_has_not_rendered_the_page(app, series):
    url = f"/series/{SLUG}"
    etag = app.test_client().get(url).headers["ETag"]
    app.extensions["public_page_cache"].clear()  # another worker, or a restart

    response = app.test_client().get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_a_weakened_etag_still_revalidates(client, series):
    """nginx's gzip turns the ETag weak; If-None-Match compares weakly."""
    url = f"/series/{SLUG}"
    etag = client.get(url).headers["ETag"]

    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


@pytest.mark.parametrize("url", PAGES)
def test_pages_vary_on_language_and_cookie(client, series, url):
    vary = client.get(url).headers["Vary"]

    assert "Accept-Language" in vary and "Cookie" in vary


@pytest.mark.parametrize("url", PAGES)
def test_a_language_cookie_gets_its_own_page_and_etag(app, series, url):
    english = app.test_client().get(url)
    french_client = app.test_client()
    french_client.set_cookie("lang", "fr")
    french = french_client.get(url)

    assert french.headers["ETag"] != english.headers["ETag"]
    assert 'lang="fr"' in french.get_data(as_text=True)
    assert french.headers["Cache-Control"] == PUBLIC_CACHE_CONTROL
    assert "Set-Cookie" not in french.headers
    stale = french_client.get(url, headers={"If-None-Match": english.headers["ETag"]})
    assert stale.status_code == 200
    assert 'lang="fr"' in stale.get_data(as_text=True)


def test_accept_language_gets_its_own_etag(client, series):
    url = f"/series/{SLUG}"
    english = client.get(url, headers={"Accept-Language": "en"}).headers["ETag"]
    french = client.get(url, headers={"Accept-Language": "fr-FR,fr;q=0.9"}).headers["ETag"]

    assert english != french


def test_an_organisers_edit_changes_the_etag(app, client, series, make_user, login):
    url = f"/series/{SLUG}/modules/1"
    visitor = app.test_client()
    old = visitor.get(url).headers["ETag"]
    assert visitor.get(url, headers={"If-None-Match": old}).status_code == 304

    login(make_user("organiser@example.org", Role.ORGANISER.value))
    edited = post_form(client, f"/admin/series/{SLUG}/modules/1/edit",
                       module_form(title="Protection instead", starts_at="2027-03-02T14:00"))
    assert edited.status_code == 302, edited.get_data(as_text=True)
    db.session.expire_all()

    response = visitor.get(url, headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.headers["ETag"] != old
    assert "Protection instead" in response.get_data(as_text=True)


def test_choosing_a_zone_sets_its_cookie_in_a_private_answer(client, series):
    response = client.get(f"/series/{SLUG}/modules/1?tz=Africa/Addis_Ababa")

    assert "tz=Africa/Addis_Ababa" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_the_language_switcher_sets_only_the_language_cookie(client, series):
    response = client.get(f"/language/fr?next=/series/{SLUG}")

    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("lang=fr")
    assert response.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_the_registration_form_holds_a_session_so_it_stays_private(client, series):
    response = client.get(f"/series/{SLUG}/register")

    assert response.headers["Set-Cookie"].startswith("session=")
    assert response.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_personal_page_is_private(client, series):
    assert client.get("/me/not-a-real-token").headers["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_organiser_pages_are_private(client, series, make_user, login):
    assert client.get("/admin/").headers["Cache-Control"] == PRIVATE_CACHE_CONTROL
    login(make_user("organiser@example.org", Role.ORGANISER.value))

    assert client.get("/admin/").headers["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_a_signed_in_organiser_gets_public_pages_privately(client, series, make_user, login):
    login(make_user("organiser@example.org", Role.ORGANISER.value))

    response = client.get(f"/series/{SLUG}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL
