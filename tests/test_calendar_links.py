"""Add-to-calendar and subscribe links, the way each person uses a calendar: on the personal page
and in the registration confirmation (and promotion), through HTTP and the real SMTP sink.

Each link's query is read back with urllib.parse: the times in UTC, the title, and the join link
only where the person is registered; the webcal:// link leads to the person's own feed.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from tests.registration_helpers import csrf_token, person_by_email, register, token_of
from webinar_app.calendar import ics
from webinar_app.extensions import db
from webinar_app.outbox.mailer import deliver_due

BASE = "http://webinars.test"
AMINA = "amina.diallo@example.org"
FIRST = "first@example.org"
JOIN_1 = "https://zoom.example.org/j/111"
JOIN_2 = "https://zoom.example.org/j/222"
HOSTS = {
    "google": "calendar.google.com",
    "outlook": "outlook.live.com",
    "microsoft365": "outlook.office.com",
}
HREF = re.compile(r'href="([^"]+)"')
WEBCAL = re.compile(r"webcal://[^\s<>\"']+")


def _modules(make_series, make_module):
    series = make_series()
    m1 = make_module(series, number=1, title="Labour", join_url=JOIN_1,
                     starts_at=datetime(2030, 12, 18, 13, 0, tzinfo=UTC), duration_minutes=120)
    # 23:00–01:00 UTC: the end is on the next day
    m2 = make_module(series, number=2, title="Courts", join_url=JOIN_2, capacity=1,
                     starts_at=datetime(2031, 3, 29, 23, 0, tzinfo=UTC), duration_minutes=120)
    return m1, m2


def _links_by_module(urls: list[str]) -> dict[int, dict[str, str]]:
    """{module number: {"google"|"outlook"|"microsoft365": url}} from a list of URLs."""
    found: dict[int, dict[str, str]] = {}
    for url in urls:
        parts = urlsplit(url)
        kind = next((k for k, host in HOSTS.items() if parts.hostname == host), None)
        if kind is None:
            continue
        query = parse_qs(parts.query)
        title = (query.get("text") or query["subject"])[0]
        number = int(re.match(r"Module (\d+)", title).group(1))
        assert kind not in found.setdefault(number, {}), f"two {kind} links for module {number}"
        found[number][kind] = url
    return found


def _one(query: dict[str, list[str]], key: str) -> str:
    (value,) = query[key]
    return value


def check_links(links: dict[str, str], *, start: str, end: str, title: str, join: str | None):
    """Google's `dates` and Outlook's `startdt`/`enddt` in UTC; the title; the join link as the
    place and in the text when given, and nowhere when not."""
    google = parse_qs(urlsplit(links["google"]).query)
    assert links["google"].startswith("https://calendar.google.com/calendar/render?")
    assert _one(google, "action") == "TEMPLATE"
    compact = [s.replace("-", "").replace(":", "") for s in (start, end)]
    assert _one(google, "dates") == f"{compact[0]}/{compact[1]}"
    assert _one(google, "text") == title
    for kind in ("outlook", "microsoft365"):
        parts = urlsplit(links[kind])
        assert parts.scheme == "https" and parts.hostname == HOSTS[kind]
        assert parts.path == "/calendar/0/deeplink/compose"
        query = parse_qs(parts.query)
        assert _one(query, "rru") == "addevent"
        assert (_one(query, "startdt"), _one(query, "enddt")) == (start, end)
        assert _one(query, "subject") == title
    texts = [_one(google, "details")] + [
        _one(parse_qs(urlsplit(links[k]).query), "body") for k in ("outlook", "microsoft365")
    ]
    places = [parse_qs(urlsplit(url).query).get("location") for url in links.values()]
    if join:
        assert all(join in text for text in texts)
        assert places == [[join]] * 3
    else:
        assert not any("zoom.example.org" in url for url in links.values())
        assert places == [None] * 3


def _page_urls(response) -> list[str]:
    return [html.unescape(url) for url in HREF.findall(response.get_data(as_text=True))]


def test_personal_page_offers_each_calendar_with_the_join_link_where_registered(
    app, client, make_series, make_module
):
    m1, m2 = _modules(make_series, make_module)
    register(client, email=FIRST, modules=["2"])
    register(client, modules=["1", "2"])  # registered for 1, on the waiting list of 2
    token = token_of(person_by_email(AMINA))

    response = client.get(f"/me/{token}")
    assert response.status_code == 200
    urls = _page_urls(response)
    found = _links_by_module(urls)
    assert set(found) == {1, 2} and all(len(kinds) == 3 for kinds in found.values())
    check_links(found[1], start="2030-12-18T13:00:00Z", end="2030-12-18T15:00:00Z",
                title="Module 1 — Prevention: Labour", join=JOIN_1)
    check_links(found[2], start="2031-03-29T23:00:00Z", end="2031-03-30T01:00:00Z",
                title="Module 2 — Prevention: Courts", join=None)
    with app.test_request_context():  # the page's links are the calendar module's
        assert found[1] == vars(ics.calendar_links(m1, JOIN_1))
        assert found[2] == vars(ics.calendar_links(m2))

    (webcal,) = [url for url in urls if url.startswith("webcal:")]
    assert webcal == f"webcal://webinars.test/me/{token}/calendar.ics"
    feed = client.get(urlsplit(webcal).path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"


def _deliver(smtp_sink):
    db.session.commit()
    counts = deliver_due()
    assert counts.failed == 0 and counts.retrying == 0


def _email_links(received) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, str]], list]:
    """The add-to-calendar links of the plain text and of the HTML part, and the webcal links."""
    plain = received.message.get_body(("plain",)).get_content()
    body_html = received.message.get_body(("html",)).get_content()
    from_text = _links_by_module(re.findall(r"https://\S+", plain))
    from_html = _links_by_module([html.unescape(u) for u in HREF.findall(body_html)])
    webcals = WEBCAL.findall(plain) + [u for u in HREF.findall(body_html) if "webcal:" in u]
    return from_text, from_html, webcals


def test_confirmation_and_promotion_emails_carry_the_same_links(
    app, client, make_series, make_module, smtp_sink
):
    m1, m2 = _modules(make_series, make_module)
    register(client, email=FIRST, modules=["2"])
    register(client, modules=["1", "2"])
    _deliver(smtp_sink)
    token = token_of(person_by_email(AMINA))
    page = _links_by_module(_page_urls(client.get(f"/me/{token}")))
    webcal = f"webcal://webinars.test/me/{token}/calendar.ics"

    (confirmation,) = [m for m in smtp_sink.to(AMINA) if m.message["Subject"].startswith(
        "Registration confirmed")]
    from_text, from_html, webcals = _email_links(confirmation)
    assert from_text == from_html == {1: page[1]}
    assert webcals == [webcal, webcal]
    (waiting,) = [m for m in smtp_sink.to(AMINA) if m is not confirmation]
    assert _email_links(waiting) == ({}, {}, [])  # the waiting-list notice offers none

    first_token = token_of(person_by_email(FIRST))
    cancel_url = f"/me/{first_token}/modules/2/cancel"
    client.post(cancel_url, data={"csrf_token": csrf_token(client, cancel_url),
                                  "confirm": "Yes, cancel my place"})
    smtp_sink.messages.clear()
    _deliver(smtp_sink)
    (promotion,) = smtp_sink.to(AMINA)
    assert promotion.message["Subject"].startswith("A place is free for you")
    from_text, from_html, webcals = _email_links(promotion)
    assert from_text == from_html
    check_links(from_text[2], start="2031-03-29T23:00:00Z", end="2031-03-30T01:00:00Z",
                title="Module 2 — Prevention: Courts", join=JOIN_2)
    assert webcals == [webcal, webcal]
    assert client.get(urlsplit(webcal).path).mimetype == "text/calendar"


def test_french_confirmation_links_read_in_french(client, make_series, make_module, smtp_sink):
    _modules(make_series, make_module)
    register(client, modules=["1"], language="fr")
    _deliver(smtp_sink)
    (confirmation,) = smtp_sink.to(AMINA)
    from_text, _from_html, _webcals = _email_links(confirmation)
    body = parse_qs(urlsplit(from_text[1]["microsoft365"]).query)["body"][0]
    assert body.startswith(f"Rejoindre le webinaire : {JOIN_1}")
    assert "Ajouter à Google Agenda" in confirmation.message.get_body(("plain",)).get_content()
