"""Hostile input in every form: generated strings never make a 500 nor a partial write.

Every page of the app is fetched as an organiser and as a participant with their own link; each
POST form found there is filled by Hypothesis with control characters, NUL, right-to-left marks,
emoji, very long values, invalid UTF-8 files, and posted back with its CSRF token. A refusal
must leave every table exactly as it was.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests.test_authorization_matrix import _client, _staff, build_world, url_for_rule
from webinar_app.extensions import db

NASTY_CHARS = st.sampled_from(
    ["\x00", "\r", "\n", "\r\n", "\t", "\x0b", "\x1b", "\x7f", "\u0085", "\u2028", "\u2029",
     "\u202e", "\u200f", "\u200b", "\ufeff", "\ud7ff", "😀", "👩🏽‍⚖️", "<", ">", '"', "'", "&",
     ";", ",", "=", "@", "\\", "%", "{{", "}}", "=cmd|' /C calc'!A0", "é", "ß", "ﬁ", "İ"]
)
NASTY_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(NASTY_CHARS, st.text(max_size=5)), max_size=12).map("".join),
    st.integers(min_value=200, max_value=20000).map(lambda n: "A" * n),
    st.sampled_from(["99999999999999999999999", "-1", "0", "1e309", "NaN", "2026-02-30T25:61",
                     "x@y", "a@b.c\r\nBcc: evil@example.org", "https://evil.example/%0d%0a",
                     "javascript:alert(1)", ""]),
)
NASTY_FILE = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([
        b"\xff\xfe\x00\x00garbage", b"name,email\n\xc3\x28,\xa0\xa1\n", b"%PDF-1.4\n\x00\x00",
        b'name,email\n"unclosed,a@b.org\n', "name,email\nA\u0000B,a@b.org\n".encode(),
        b"\xef\xbb\xbf" + b"x" * 5000,
    ]),
)


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> kind
    options: dict[str, list[str]] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The POST forms of a page: their action and their fields."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            self.current = Form(action=attributes.get("action") or self.page_url)
            self.forms.append(self.current)
        if self.current is None:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            self.current.fields[name] = (attributes.get("type") or "text").lower()
            if self.current.fields[name] in ("checkbox", "radio", "hidden", "submit"):
                self.current.options.setdefault(name, []).append(attributes.get("value") or "y")
        elif tag == "textarea" and name:
            self.current.fields[name] = "textarea"
        elif tag == "select" and name:
            self.current.fields[name] = "select"
            self.select = name
        elif tag == "option" and self.select:
            self.current.options.setdefault(self.select, []).append(attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def forms_on(client, url: str) -> list[Form]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.content_type:
        return []
    parser = FormParser(url)
    parser.feed(response.get_data(as_text=True))
    return parser.forms


# Forms that end the visit (their refusal and success are tested elsewhere)
SKIPPED_ACTIONS = ("/auth/logout",)


def discover(app, visitor: str, world, users) -> dict[str, tuple[Form, str]]:
    """Every POST form on every GET page the visitor may open: action -> (form, page)."""
    client = _client(app, visitor, users)
    found: dict[str, tuple[Form, str]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        page = url_for_rule(rule, world, visitor)
        for form in forms_on(client, page):
            action = form.action.split("#")[0]
            if action.startswith(SKIPPED_ACTIONS):
                continue
            found.setdefault(action, (form, page))
    return found


def table_counts() -> dict[str, int]:
    db.session.rollback()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def fill(form: Form, data: st.DataObject) -> tuple[dict, dict]:
    """Generated values for each field; files separately."""
    values: dict = {}
    files: dict = {}
    for name, kind in form.fields.items():
        if name == "csrf_token" or kind == "submit":
            continue
        options = form.options.get(name, [])
        if kind == "file":
            files[name] = data.draw(NASTY_FILE, label=name)
        elif kind in ("checkbox", "radio"):
            if data.draw(st.booleans(), label=name):
                values[name] = data.draw(st.sampled_from(options), label=name)
        elif kind in ("select", "hidden") and options and data.draw(st.booleans()):
            values[name] = data.draw(st.sampled_from(options), label=name)
        else:
            values[name] = data.draw(NASTY_TEXT, label=name)
    return values, files


VISITORS = ("organiser", "owner")
# Examples per form: derandomized (the same values every run), not shrunk (shrinking a failure
# costs minutes; the report names the values). Raise it locally to search harder.
MIN_FORMS = {"organiser": 20, "owner": 4}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_form_survives_hostile_input(app, visitor):
    users = _staff(f"fuzz-{visitor}")
    world = build_world(f"fuzz-{visitor}")
    forms = discover(app, visitor, world, users)
    assert len(forms) >= MIN_FORMS[visitor], sorted(forms)
    client = _client(app, visitor, users)
    problems: list[str] = []

    for action, (form, page) in sorted(forms.items(), key=_destructive_last):
        try:
            _fuzz(client, action, form, page)
        except Exception as exc:  # collect, so one run names every form that fails
            problems.append(f"{action}: {exc.__class__.__name__}: {str(exc)[:600]}")
    assert not problems, "\n\n".join(problems)


def _fuzz(client, action: str, form: Form, page: str) -> None:
    """Post generated values into one form; no 500, and a refusal writes nothing."""

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def post_hostile(data):
        values, files = fill(form, data)
        payload = {**values, "csrf_token": _token_for(client, page)}
        for name, content in files.items():
            payload[name] = FileStorage(stream=io.BytesIO(content), filename="upload.csv")
        before = table_counts()
        response = client.post(action, data=payload, content_type="multipart/form-data")
        status = response.status_code
        refused = status >= 400 or any(
            marker in response.get_data(as_text=True) for marker in REFUSAL_MARKERS
        )
        response.close()
        assert status < 500, f"{status} for {action} with {values!r}"
        if refused:
            after = table_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert not changed, f"refused {action} ({status}) but wrote {changed}"

    post_hostile()


# how a page says a form was refused (the form macros mark the fields and sum up the errors)
REFUSAL_MARKERS = ('aria-invalid="true"', 'class="error-summary"', "field-error")
DESTRUCTIVE = ("delete", "cancel", "revoke", "reissue", "unpublish", "logout")


def _destructive_last(item) -> tuple[bool, str]:
    """Forms that erase or cancel go last, so the others still find what they act on."""
    action = item[0]
    return any(word in action for word in DESTRUCTIVE), action


def _token_for(client, page: str) -> str:
    from tests.conftest import csrf_token

    try:
        return csrf_token(client, page)
    except AssertionError:
        return csrf_token(client, "/auth/login")
