"""Every "go back to" target stays on this site (issue 9, item 4).

Each Location is checked the way a browser reads it: TAB, CR and LF are dropped, a backslash
counts as a slash, and the result is resolved against the page's address.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.registration_helpers import csrf_token, person_by_email, register
from webinar_app.core.text import has_control_chars
from webinar_app.core.urls import is_safe_next, safe_next
from webinar_app.extensions import db
from webinar_app.models import Registration

SITE = "http://localhost"

HOSTILE = [
    "/\t/evil.example",
    "/%09/evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%5c%5cevil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/%2f/evil.example",
    "/\r\n/evil.example",
    "/%0d%0a/evil.example",
    "/\n/evil.example",
    "/%0A/evil.example",
    "/\x00/evil.example",
    " //evil.example",
    "https://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "\uff0f\uff0fevil.example",  # fullwidth solidus: NFKC makes it "//"
    "/\uff0fevil.example",
    "/\uff3cevil.example",  # fullwidth reverse solidus
    "/\u2028/evil.example",
    "/\u202e/evil.example",
    "/%E2%80%A8/evil.example",
    "",
]


def browser_target(location: str, page: str = SITE + "/language/en") -> str:
    """Where a browser goes for this Location (WHATWG URL parsing, simplified)."""
    cleaned = location.strip("\x00\x20").replace("\t", "").replace("\r", "").replace("\n", "")
    return urljoin(page, cleaned.replace("\\", "/"))


def assert_stays_on_site(response, expected: str | None = None) -> None:
    """A redirect whose Location, read as a browser reads it, is a page of this site."""
    assert response.status_code in (301, 302, 303), response.status_code
    location = response.headers["Location"]
    assert location.isascii() and location.isprintable(), repr(location)
    target = urlsplit(browser_target(location))
    assert (target.scheme, target.netloc) == ("http", "localhost"), location
    assert not urlsplit(location).netloc, location
    if expected is not None:
        assert location == expected


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_refuses_targets_off_the_site(client, target):
    response = client.get(f"/language/en?next={quote(target, safe='')}")
    if "\x00" in target:  # no address of the site holds a NUL: refused with its reason
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert_stays_on_site(response, "/")
    assert "lang=en" in response.headers["Set-Cookie"]


def test_the_reported_tab_trick_no_longer_leaves_the_site(client):
    response = client.get("/language/en?next=/%09/evil.example")
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", [
    "/series/test-series",
    "/series/test-series/modules/2?tz=Africa/Nairobi",
    "/admin/series/test-series/registrations?q=a%20b&page=2",
    "/",
])
def test_language_switch_goes_back_to_the_page(client, target):
    response = client.get(f"/language/fr?next={quote(target, safe='')}")
    assert_stays_on_site(response, target)


def test_language_switch_encodes_a_page_address_with_accents(client):
    response = client.get("/language/fr?next=" + quote("/series/café", safe=""))
    assert_stays_on_site(response, "/series/caf%C3%A9")


def test_the_language_links_of_a_page_bring_back_to_it(client, make_series):
    make_series()
    html = client.get("/series/test-series?tz=Europe/Paris").get_data(as_text=True)
    assert "/language/fr?next=/series/test-series?tz%3DEurope/Paris" in html
    response = client.get("/language/fr?next=/series/test-series?tz%3DEurope/Paris")
    assert_stays_on_site(response, "/series/test-series?tz=Europe/Paris")


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/\t/evil.example", "//evil.example", "///evil.example",
    "/\\evil.example", "/%5Cevil.example", "/%2F%2Fevil.example", "/%0d%0a/evil.example",
    "https:evil.example", "https://evil.example", "\uff0f\uff0fevil.example",
])
def test_login_refuses_targets_off_the_site(client, make_user, target):
    user = make_user()
    response = client.post(
        f"/auth/login?next={quote(target, safe='')}",
        data={"email": user.email, "password": "correct horse battery",
              "csrf_token": csrf_token(client, "/auth/login")},
    )
    assert_stays_on_site(response, "/admin/")


def test_login_goes_back_to_the_page_that_asked_for_it(client, make_user, make_series):
    make_series()
    first = client.get("/admin/series/test-series/registrations")
    assert first.status_code == 302
    assert_stays_on_site(first)
    next_value = urlsplit(first.headers["Location"]).query.split("next=", 1)[1]
    user = make_user()
    response = client.post(
        f"/auth/login?next={next_value}",
        data={"email": user.email, "password": "correct horse battery",
              "csrf_token": csrf_token(client, "/auth/login")},
    )
    assert_stays_on_site(response, "/admin/series/test-series/registrations")


@pytest.fixture()
def organiser_with_registration(client, make_series, make_module, make_user, login):
    series = make_series()
    make_module(series)
    register(client, email="ana@example.org")
    login(make_user())
    person = person_by_email("ana@example.org")
    return db.session.scalar(select(Registration).where(Registration.person_id == person.id))


LIST = "/admin/series/test-series/registrations"


def test_registration_actions_go_back_only_to_the_list(client, organiser_with_registration):
    registration = organiser_with_registration
    urls = [f"{LIST}/{registration.id}/resend", f"{LIST}/{registration.id}/move",
            f"/admin/series/test-series/people/{registration.person_id}/token/revoke"]
    targets = [*HOSTILE, "/admin/series/other-series/registrations"]  # the last: not this list
    for url, target in ((url, target) for target in targets for url in urls):
        response = client.post(url, data={"csrf_token": csrf_token(client, LIST),
                                          "to": "registered", "next": target})
        if has_control_chars(target):  # the form refuses it outright: nothing happens
            assert response.status_code == 400 and "Location" not in response.headers
        else:
            assert_stays_on_site(response, LIST)


def test_registration_actions_keep_the_filtered_list(client, organiser_with_registration):
    registration = organiser_with_registration
    target = LIST + "?status=all&q=ana%20lima"
    response = client.post(f"{LIST}/{registration.id}/resend",
                           data={"csrf_token": csrf_token(client, LIST), "next": target})
    assert_stays_on_site(response, target)


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/%09/evil.example"])
def test_new_personal_link_page_links_back_only_to_the_list(client, organiser_with_registration,
                                                            target):
    person_id = organiser_with_registration.person_id
    response = client.post(f"/admin/series/test-series/people/{person_id}/token/reissue",
                           data={"csrf_token": csrf_token(client, LIST), "next": target})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "evil.example" not in html
    assert f'href="{LIST}"' in html


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*"/\\%:.@?#&=abcEVIL ", "\t", "\r", "\n", "\x00", "%09",
                                 "%2F", "%5C", "%25", "\uff0f", "\u2215", "\u3000", "http",
                                 "https:", "//"]), max_size=16).map("".join))
def test_any_target_is_refused_or_stays_on_the_site(value):
    result = safe_next(value, "/default")
    assert result == "/default" or is_safe_next(value)
    target = urlsplit(browser_target(result))
    assert (target.scheme, target.netloc) == ("http", "localhost"), (value, result)
    assert result.isascii() and result.isprintable()
    assert not result.startswith("//") and "\\" not in result
