"""Review that notifies: emails on submit, send back and approve; publishing in two steps with
the follow-ups sent now or held until released; what awaits each user on the home page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import csrf_token
from tests.summary_helpers import (
    IsolatedClient,
    approve_and_publish,
    client_for,
    post_action,
    save_draft,
    summary_url,
)
from webinar_app.extensions import db
from webinar_app.models import ModuleStatus, SeriesRole

PAST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


def _series_reviewer(make_user, series, email: str):
    """An account whose only role is reviewer of one series."""
    user = make_user(email, "none")
    db.session.add(SeriesRole(user=user, series=series, role="reviewer"))
    db.session.commit()
    return user


@pytest.fixture()
def world(app, make_series, make_module, make_user):
    series = make_series()
    other = make_series(slug="other-series", title="Other series")
    module = make_module(series, starts_at=PAST, status=ModuleStatus.HELD.value)
    organiser = make_user("organiser@example.org", "organiser")
    reviewer = _series_reviewer(make_user, series, "reviewer@example.org")
    _series_reviewer(make_user, other, "elsewhere@example.org")
    return dict(module=module, writer=client_for(app, organiser),
                checker=client_for(app, reviewer))


def _deliver(runner) -> None:
    assert runner.invoke(args=["mail", "deliver"]).exit_code == 0


def _text(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def _submit(world, body: str = "A summary worth reading.") -> None:
    assert save_draft(world["writer"], world["module"], body).status_code == 302
    assert post_action(world["writer"], world["module"], "submit").status_code == 302


def test_submitting_emails_the_series_reviewer_only(app, world, runner, smtp_sink):
    _submit(world)
    _deliver(runner)

    assert smtp_sink.to("elsewhere@example.org") == []
    assert smtp_sink.to("organiser@example.org") == []
    [received] = smtp_sink.to("reviewer@example.org")
    message = received.message
    assert message["Subject"] == "Summary to review: module 1, Module 1"
    assert message["Auto-Submitted"] == "auto-generated"
    text = _text(received)
    assert "organiser@example.org submitted the summary of module 1" in text
    assert f"{app.config['BASE_URL']}{summary_url(world['module'])}\r\n" in text


def test_sending_back_and_approving_email_the_author_with_the_comment(world, runner, smtp_sink):
    module, checker = world["module"], world["checker"]
    _submit(world)
    response = post_action(checker, module, "send-back", reason="Add the attendance figures.")
    assert response.status_code == 302
    _deliver(runner)
    [sent_back] = smtp_sink.to("organiser@example.org")
    assert sent_back.message["Subject"].startswith("Summary sent back: module 1")
    assert "back to draft.\r\n\r\nComment:\r\nAdd the attendance figures.\r\n" in _text(sent_back)
    assert summary_url(module) in _text(sent_back)

    _submit(world, "Now with 40 participants.")
    assert post_action(checker, module, "approve", approval_note="Clear and short.").status_code \
        == 302
    _deliver(runner)
    approved = smtp_sink.to("organiser@example.org")[-1]
    assert approved.message["Subject"].startswith("Summary approved: module 1")
    assert "Clear and short." in _text(approved)
    assert len(smtp_sink.to("reviewer@example.org")) == 2  # one per submission


def test_review_emails_are_in_the_series_first_language(
    app, make_series, make_module, make_user, runner, smtp_sink
):
    series = make_series(slug="serie-fr", languages="fr,en")
    module = make_module(series, starts_at=PAST, status=ModuleStatus.HELD.value)
    _series_reviewer(make_user, series, "relecteur@example.org")
    writer = client_for(app, make_user("organiser@example.org", "organiser"))
    save_draft(writer, module, "Résumé.")
    post_action(writer, module, "submit")
    _deliver(runner)
    [received] = smtp_sink.to("relecteur@example.org")
    assert received.message["Content-Language"] == "fr"
    assert _text(received).startswith("Bonjour,")


def test_publish_page_shows_the_followups_that_will_go(world, make_registration):
    module, checker = world["module"], world["checker"]
    make_registration(module, email="came@example.org").attendance = "attended"
    make_registration(module, email="missed@example.org", language="fr").attendance = "absent"
    make_registration(module, email="also@example.org", language="fr").attendance = "attended"
    db.session.commit()
    _submit(world)
    assert post_action(checker, module, "approve").status_code == 302

    page = checker.get(f"{summary_url(module)}/publish").get_data(as_text=True)
    assert "Publish and send the follow-ups now" in page
    assert "Publish and hold the follow-ups" in page
    rows = [row.split("</th>")[1] for row in page.split('<th scope="row">')[1:]]
    assert page.split('<th scope="row">')[1].startswith("English")
    assert rows[0].startswith("<td>1</td><td>0</td><td>0</td><td>1</td>")
    assert rows[1].startswith("<td>1</td><td>1</td><td>0</td><td>2</td>")


def test_held_followups_go_only_when_released_and_once_each(
    world, runner, smtp_sink, make_registration
):
    module, checker, writer = world["module"], world["checker"], world["writer"]
    make_registration(module, email="came@example.org").attendance = "attended"
    make_registration(module, email="missed@example.org").attendance = "absent"
    db.session.commit()
    _submit(world)
    response = approve_and_publish(checker, module, choice="hold")
    assert response.status_code == 302
    _deliver(runner)
    assert smtp_sink.to("came@example.org") == smtp_sink.to("missed@example.org") == []

    page = writer.get(summary_url(module)).get_data(as_text=True)
    assert "Follow-ups held" in page and "Release the follow-ups" in page
    followup_page = f"/admin/series/{module.series.slug}/modules/{module.number}/followup"
    response = writer.post(followup_page, data={"csrf_token": csrf_token(writer, followup_page)})
    assert response.status_code == 422
    _deliver(runner)
    assert smtp_sink.to("came@example.org") == []

    assert post_action(writer, module, "release-followups").status_code == 302
    assert post_action(writer, module, "release-followups").status_code == 302  # nothing more
    _deliver(runner)
    assert len(smtp_sink.to("came@example.org")) == 1
    assert len(smtp_sink.to("missed@example.org")) == 1
    assert "Follow-ups held" not in writer.get(summary_url(module)).get_data(as_text=True)


def test_publishing_with_followups_now_sends_them(world, runner, smtp_sink, make_registration):
    module = world["module"]
    make_registration(module, email="came@example.org").attendance = "attended"
    db.session.commit()
    _submit(world)
    assert approve_and_publish(world["checker"], module).status_code == 302
    _deliver(runner)
    assert len(smtp_sink.to("came@example.org")) == 1


def test_home_page_lists_what_awaits_each_user(world):
    module, writer, checker = world["module"], world["writer"], world["checker"]
    link = f'<a href="{summary_url(module)}">'
    assert save_draft(writer, module, "Draft.").status_code == 302
    home = writer.get("/admin/").get_data(as_text=True)
    assert f"{link}Finish and submit the draft summary of module 1</a>" in home

    post_action(writer, module, "submit")
    home = checker.get("/admin/").get_data(as_text=True)
    assert f"{link}Review the summary of module 1</a>" in home

    post_action(checker, module, "send-back", reason="More detail.")
    home = writer.get("/admin/").get_data(as_text=True)
    assert f"{link}Rework the summary of module 1: it was sent back</a>" in home
    assert "Review the summary" not in checker.get("/admin/").get_data(as_text=True)

    post_action(writer, module, "submit")
    post_action(checker, module, "approve")
    home = checker.get("/admin/").get_data(as_text=True)
    assert f"{link}Publish the approved summary of module 1</a>" in home


def _button(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def test_send_back_does_not_look_like_approve(world):
    _submit(world)
    page = world["checker"].get(summary_url(world["module"])).get_data(as_text=True)
    assert 'class="button"' in _button(page, "approve")
    assert 'class="button secondary"' in _button(page, "send_back")
