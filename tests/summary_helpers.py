"""Helpers for the summary and good-practice tests: users with their own clients, HTTP posts."""

from __future__ import annotations

from flask import g
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token


class IsolatedClient(FlaskClient):
    """A client whose requests do not see another client's user or CSRF token.

    The tests' app context is shared by every request, so flask-login's and flask-wtf's
    per-request caches in `g` would leak from one client to the next.
    """

    def open(self, *args, **kwargs):
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)
        return super().open(*args, **kwargs)


def client_for(app, user):
    """A new test client logged in as user."""
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def summary_url(module) -> str:
    return f"/admin/series/{module.series.slug}/modules/{module.number}/summary"


def practice_fields(index: int, **values) -> dict[str, str]:
    """Form fields of good practice row `index`."""
    defaults = dict(title="", presenter_organisation="", presenter_name="", country="",
                    pillar="", description="")
    defaults.update(values)
    fields = {f"practices-{index}-{k}": v for k, v in defaults.items() if k != "covid"}
    if values.get("covid"):
        fields[f"practices-{index}-is_covid_adaptation"] = "y"
    return fields


def save_draft(client, module, body: str, takeaways: str = "", attendance: str = "",
               practices: list[dict] | None = None):
    """Post the edit form as an organiser would."""
    url = summary_url(module) + "/edit"
    data = {"csrf_token": csrf_token(client, url), "body_markdown": body,
            "key_takeaways": takeaways, "attendance_figure": attendance}
    for index, practice in enumerate(practices or []):
        data.update(practice_fields(index, **practice))
    return client.post(url, data=data)


def post_action(client, module, action: str, **data):
    """Post one of the workflow buttons (submit, reopen, send-back, approve, comments)."""
    token = csrf_token(client, summary_url(module))
    return client.post(f"{summary_url(module)}/{action}", data={"csrf_token": token, **data})


def confirm_publish(client, module, choice: str = "send_now"):
    """On the publish confirmation page, press "send the follow-ups now" or "hold"."""
    url = f"{summary_url(module)}/publish"
    return client.post(url, data={"csrf_token": csrf_token(client, url), choice: "y"})


def approve_and_publish(checker, module, note: str = "", choice: str = "send_now"):
    """Approve a summary in review, then publish it from the confirmation page (as checker)."""
    assert post_action(checker, module, "approve", approval_note=note).status_code == 302
    return confirm_publish(checker, module, choice)


def publish(writer, checker, module, body: str, practices=None, takeaways=""):
    """Draft (as writer), submit, approve and publish (as checker) a summary through the pages."""
    assert save_draft(writer, module, body, takeaways=takeaways, attendance="12",
                      practices=practices).status_code == 302
    assert post_action(writer, module, "submit").status_code == 302
    assert approve_and_publish(checker, module).status_code == 302
