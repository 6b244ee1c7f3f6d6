"""Every link in every email kind, calendar file and API answer leads somewhere.

The links on BASE_URL's host are fetched through the app, as a recipient's browser (without a
session) would open them: each answers 200 or a redirect. Links to other hosts (join links,
recordings) are only checked for being well-formed https addresses. A webcal:// link (subscribe)
is checked as the BASE_URL address it stands for.
"""

from __future__ import annotations

import html
import json
import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from tests.email_world import World, build_world
from tests.summary_helpers import IsolatedClient

URL = re.compile(r"https?://[^\s<>\"'\\]+")
WEBCAL = re.compile(r"webcal://[^\s<>\"'\\]+")


def _unfold_calendar(data: bytes) -> str:
    """The calendar's text with lines unfolded and TEXT escapes undone."""
    text = re.sub(r"\r\n[ \t]", "", data.decode("utf-8"))
    return text.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";")


def _texts_of_email(message: EmailMessage) -> list[str]:
    """Headers that carry links, each text and HTML part, and each calendar part."""
    texts = [str(message.get("List-Unsubscribe", ""))]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if part.get_content_type() in ("text/calendar", "application/ics"):
            texts.append(_unfold_calendar(payload))
        elif part.get_content_type() == "text/html":
            texts.append(html.unescape(payload.decode("utf-8")))
        else:
            texts.append(payload.decode("utf-8"))
    return texts


def _json_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _json_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _json_strings(item)]
    return [value] if isinstance(value, str) else []


def collect_links(world: World, scheme: str = "http") -> dict[str, set[str]]:
    """{url: names of the emails, calendar files and API answers where it appears}; webcal://
    links as the `scheme` address they stand for."""
    sources: dict[str, list[str]] = {}
    for name, received in world.emails.items():
        sources[f"email {name}"] = _texts_of_email(received.message)
    for name, data in world.calendars.items():
        sources[f"calendar {name}"] = [_unfold_calendar(data)]
    for path, data in world.api.items():
        sources[f"api {path}"] = _json_strings(json.loads(data))
    links: dict[str, set[str]] = {}
    for source, texts in sources.items():
        for text in texts:
            webcal = [scheme + url.removeprefix("webcal") for url in WEBCAL.findall(text)]
            for url in URL.findall(text) + webcal:
                links.setdefault(url.rstrip(".,;:)"), set()).add(source)
    return links


def _is_well_formed_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and "." in parts.hostname


def test_every_link_in_emails_calendars_and_the_api_answers(
    app, client, runner, smtp_sink, tmp_path
):
    world = build_world(client, runner, smtp_sink, tmp_path)
    base = urlsplit(app.config["BASE_URL"])
    links = collect_links(world, base.scheme)
    site = base.netloc
    ours = {url: where for url, where in links.items() if urlsplit(url).netloc == site}
    others = {url: where for url, where in links.items() if urlsplit(url).netloc != site}
    every_source = {f"email {name}" for name in world.emails} | {
        f"calendar {name}" for name in world.calendars} | {f"api {path}" for path in world.api}
    assert {source for where in ours.values() for source in where} == every_source, \
        "every email, calendar file and API answer has at least one link to the site"
    visitor = IsolatedClient(app, app.response_class, use_cookies=True)
    broken = []
    for url, where in sorted(ours.items()):
        parts = urlsplit(url)
        response = visitor.get(parts.path, query_string=parts.query)
        if not (response.status_code == 200 or 300 <= response.status_code < 400):
            broken.append((url, response.status_code, sorted(where)))
    assert not broken, broken
    assert len(ours) >= 20, sorted(ours)
    assert any(url.endswith("/calendar.ics") and "/me/" in url for url in ours), \
        "the confirmation's webcal:// link to the personal feed is checked too"
    malformed = [(url, sorted(where)) for url, where in others.items()
                 if not _is_well_formed_https(url)]
    assert not malformed, malformed
    assert others, "the join links and the recording are checked too"
