"""Summaries: the review workflow, revisions, roles, sanitising and Chatham House, over HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.summary_helpers import (
    IsolatedClient,
    approve_and_publish,
    client_for,
    confirm_publish,
    post_action,
    publish,
    save_draft,
    summary_url,
)
from webinar_app.extensions import db
from webinar_app.models import Summary, SummaryRevision


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture()
def team(make_user):
    return {
        "organiser": make_user("organiser@example.org", "organiser"),
        "reviewer": make_user("reviewer@example.org", "reviewer"),
    }


@pytest.fixture()
def module(make_series, make_module):
    return make_module(make_series(), status="held")


def _pair(app, team):
    return client_for(app, team["organiser"]), client_for(app, team["reviewer"])


def _state(module) -> str:
    db.session.expire_all()
    return db.session.scalars(select(Summary.state).where(Summary.module_id == module.id)).one()


def test_summary_goes_draft_review_back_with_comment_review_published(app, team, module, client):
    writer = client_for(app, team["organiser"])
    checker = client_for(app, team["reviewer"])

    assert save_draft(writer, module, "First *draft*.", takeaways="One\nTwo").status_code == 302
    assert _state(module) == "draft"
    assert post_action(writer, module, "submit").status_code == 302
    assert _state(module) == "in_review"

    response = post_action(checker, module, "send-back", reason="Please add the figures.")
    assert response.status_code == 302
    assert _state(module) == "draft"
    page = writer.get(summary_url(module)).get_data(as_text=True)
    assert "Please add the figures." in page and "sent it back" in page

    assert save_draft(writer, module, "Second draft with 40 participants.").status_code == 302
    assert post_action(writer, module, "submit").status_code == 302
    assert post_action(checker, module, "approve", approval_note="Good.").status_code == 302
    assert _state(module) == "approved"
    assert "Second draft" not in client.get(
        f"/series/{module.series.slug}/modules/{module.number}").get_data(as_text=True)
    assert confirm_publish(checker, module, choice="neither").status_code == 422
    assert confirm_publish(checker, module).status_code == 302
    assert _state(module) == "published"

    public = client.get(f"/series/{module.series.slug}/modules/{module.number}")
    assert "Second draft with 40 participants." in public.get_data(as_text=True)
    listing = client.get(f"/series/{module.series.slug}/summaries").get_data(as_text=True)
    assert "Second draft with 40 participants." in listing


def test_sending_back_without_a_comment_shows_a_message_next_to_the_field(app, team, module):
    writer, checker = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    save_draft(writer, module, "Body.")
    post_action(writer, module, "submit")
    response = post_action(checker, module, "send-back", reason="  ")
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert _state(module) == "in_review"


def test_every_save_is_a_revision_with_author_and_two_can_be_compared(app, team, module):
    writer = client_for(app, team["organiser"])
    save_draft(writer, module, "The panel met.\nIt was short.")
    save_draft(writer, module, "The panel met.\nIt was long.",
               practices=[{"title": "Helpline", "presenter_organisation": "IOM"}])
    revisions = db.session.scalars(select(SummaryRevision).order_by(SummaryRevision.number)).all()
    assert [r.number for r in revisions] == [1, 2]
    assert all(r.author.email == "organiser@example.org" and r.created_at for r in revisions)
    assert revisions[1].good_practices[0]["title"] == "Helpline"

    page = writer.get(summary_url(module)).get_data(as_text=True)
    assert "Revision 1" in page and "Revision 2" in page
    diff = writer.get(summary_url(module) + "/compare?old=1&new=2")
    html = diff.get_data(as_text=True)
    assert diff.status_code == 200
    # one paragraph changed (a word), the practice's heading and its details added
    assert "Paragraphs changed: 1, added: 2, removed: 0." in html
    # inside the changed paragraph only the changed word is marked, with a word for screen readers
    assert "It was <del><span class=\"visually-hidden\">[deleted:] </span>short.</del>" in html
    assert "<ins><span class=\"visually-hidden\">[inserted:] </span>long.</ins>" in html
    assert "[inserted:] </span>## Helpline</ins>" in html
    side = writer.get(summary_url(module) + "/compare?old=1&new=2&view=side")
    side_html = side.get_data(as_text=True)
    assert side.status_code == 200 and "diff-side" in side_html
    assert side_html.count('class="diff-row diff-changed"') == 1
    old = writer.get(summary_url(module) + "/revisions/1").get_data(as_text=True)
    assert "It was short." in old and "It was long." not in old


def test_comparing_unknown_revisions_is_a_message_not_an_error(app, team, module):
    writer = client_for(app, team["organiser"])
    save_draft(writer, module, "One")
    save_draft(writer, module, "Two")
    response = writer.get(summary_url(module) + "/compare?old=1&new=99")
    assert response.status_code == 422
    assert 'id="new-error"' in response.get_data(as_text=True)


def test_reviewer_cannot_edit_and_organiser_cannot_approve(app, team, module, make_user):
    writer, checker = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    assert checker.get(summary_url(module) + "/edit").status_code == 403
    save_draft(writer, module, "Body.")
    assert post_action(checker, module, "edit", body_markdown="Hijack").status_code == 403
    assert post_action(checker, module, "submit").status_code == 403
    assert post_action(checker, module, "reopen").status_code == 403
    post_action(writer, module, "submit")
    assert post_action(writer, module, "approve").status_code == 403
    assert post_action(writer, module, "publish").status_code == 403
    assert post_action(writer, module, "send-back", reason="x").status_code == 403
    assert _state(module) == "in_review"
    admin = client_for(app, make_user("admin@example.org", "admin"))
    assert admin.get(summary_url(module)).status_code == 200


def test_admin_may_approve(app, team, module, make_user):
    writer = client_for(app, team["organiser"])
    admin = client_for(app, make_user("admin@example.org", "admin"))
    save_draft(writer, module, "Body.")
    post_action(writer, module, "submit")
    assert approve_and_publish(admin, module).status_code == 302
    assert _state(module) == "published"


def test_anonymous_visitor_is_sent_to_log_in(client, module):
    response = client.get(summary_url(module))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_summary_in_review_cannot_be_saved(app, team, module):
    writer = client_for(app, team["organiser"])
    save_draft(writer, module, "Body.")
    post_action(writer, module, "submit")
    response = save_draft(writer, module, "Changed while in review")
    assert response.status_code == 422
    assert "in review" in response.get_data(as_text=True)
    assert db.session.scalar(select(Summary.body_markdown)) == "Body."


def test_published_summary_can_be_reopened_and_leaves_the_public_pages(app, team, module, client):
    publish(*_pair(app, team), module, "Public text.")
    url = f"/series/{module.series.slug}/modules/{module.number}"
    assert "Public text." in client.get(url).get_data(as_text=True)
    assert post_action(client_for(app, team["organiser"]), module, "reopen").status_code == 302
    assert "Public text." not in client.get(url).get_data(as_text=True)


def test_drafts_never_reach_the_public_pages(app, team, module, client):
    writer = client_for(app, team["organiser"])
    save_draft(writer, module, "Secret draft text.")
    post_action(writer, module, "submit")
    slug = module.series.slug
    assert "Secret draft text." not in client.get(f"/series/{slug}/modules/1").get_data(
        as_text=True)
    assert "Secret draft text." not in client.get(f"/series/{slug}/summaries").get_data(
        as_text=True)


MALICIOUS = (
    "Hello <script>alert('x')</script>\n\n"
    '<img src="x.png" onerror="alert(1)">\n\n'
    "[click](javascript:alert(2)) and <a href=\"JaVaScRiPt:alert(3)\">this</a>\n\n"
    '<svg onload="alert(4)"></svg> <iframe src="https://evil.example"></iframe>\n\n'
    "[fine](https://example.org/ok)"
)


def _assert_clean(html: str) -> None:
    """No script element, no on*= attribute in any tag, no javascript: URL, no svg/iframe."""
    # the site's own zone detector (a static file) is the only script a page may carry
    own = r'<script src="/static/zone\.js\?v=[0-9a-f]+" defer></script>'
    lowered = re.sub(own, "", html.lower())
    assert "<script" not in lowered
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered)
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", lowered)
    assert "javascript:alert" not in lowered.replace("&#34;", "")
    assert "<iframe" not in lowered and "<svg" not in lowered


def test_script_event_handlers_and_javascript_links_never_reach_any_page(
    app, team, module, client
):
    publish(*_pair(app, team), module, MALICIOUS,
            practices=[{"title": "<script>alert(5)</script>",
                        "description": '<img src=x onerror="alert(6)">'}],
            takeaways="<script>alert(7)</script>")
    slug = module.series.slug
    writer = client_for(app, team["organiser"])
    pages = [
        client.get(f"/series/{slug}/modules/1"),
        client.get(f"/series/{slug}/summaries"),
        client.get(f"/series/{slug}/good-practices"),
        writer.get(summary_url(module)),
        writer.get(summary_url(module) + "/revisions/1"),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        _assert_clean(html)
    public_html = pages[0].get_data(as_text=True)
    assert 'href="https://example.org/ok"' in public_html
    assert "&lt;script&gt;alert(5)" in public_html


def test_chatham_house_hides_speaker_and_presenter_names_but_names_organisations(
    app, team, make_series, make_module, client
):
    from webinar_app.models import AgendaItem, Speaker

    module = make_module(make_series(), status="held", is_chatham_house=True)
    item = AgendaItem(module=module, position=0, title="Panel")
    item.speakers.append(Speaker(name="Jane Speaker", role="Director", organisation="UNHCR"))
    db.session.add(item)
    db.session.commit()
    publish(*_pair(app, team), module, "Discussion.",
            practices=[{"title": "Shelters", "presenter_organisation": "Caritas",
                        "presenter_name": "John Presenter", "country": "SD"}])
    slug = module.series.slug
    for url in (f"/series/{slug}/modules/1", f"/series/{slug}/summaries",
                f"/series/{slug}/good-practices", f"/series/{slug}/good-practices.csv",
                f"/series/{slug}/good-practices.json"):
        body = client.get(url).get_data(as_text=True)
        assert "Jane Speaker" not in body and "John Presenter" not in body, url
    module_page = client.get(f"/series/{slug}/modules/1").get_data(as_text=True)
    assert "UNHCR" in module_page and "Caritas" in module_page
    staff = client_for(app, team["reviewer"]).get(summary_url(module)).get_data(as_text=True)
    assert "John Presenter" in staff


def test_presenter_is_named_when_not_under_chatham_house(app, team, module, client):
    publish(*_pair(app, team), module, "Body.",
            practices=[{"title": "Shelters", "presenter_organisation": "Caritas",
                        "presenter_name": "John Presenter"}])
    assert "John Presenter" in client.get(
        f"/series/{module.series.slug}/modules/1").get_data(as_text=True)


def test_bad_input_is_shown_next_to_the_field_and_kept(app, team, module):
    writer = client_for(app, team["organiser"])
    response = save_draft(writer, module, "Kept body", attendance="-3",
                          practices=[{"presenter_organisation": "IOM"}])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="attendance_figure-error"' in html
    assert 'id="practices-0-title-error"' in html
    assert "Kept body" in html and 'value="IOM"' in html
    assert db.session.scalar(select(Summary.id)) is None


def test_attendance_figure_defaults_to_recorded_attendance(app, team, module):
    from webinar_app.models import Person, Registration

    for i, mark in enumerate(["attended", "attended", "absent"]):
        person = Person(series=module.series, email=f"p{i}@example.org")
        db.session.add(Registration(person=person, module=module, attendance=mark))
    db.session.commit()
    html = client_for(app, team["organiser"]).get(summary_url(module) + "/edit").get_data(
        as_text=True)
    assert 'name="attendance_figure" type="number" value="2"' in html or (
        'value="2"' in html and "Recorded attendance: 2 attended." in html
    )


def test_publishing_tells_how_many_followups_were_queued(app, team, module):
    writer, checker = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    save_draft(writer, module, "Body.")
    post_action(writer, module, "submit")
    response = approve_and_publish(checker, module)
    page = checker.get(response.headers["Location"]).get_data(as_text=True)
    assert "Follow-up emails queued:" in page


def test_first_publication_queues_one_followup_per_registrant_and_republishing_none(
    app, team, module
):
    pytest.importorskip("webinar_app.followups.services")
    from webinar_app.models import OutboxMessage, Person, Registration

    for i, mark in enumerate(["attended", "absent"]):
        person = Person(series=module.series, email=f"p{i}@example.org", full_name=f"P {i}")
        db.session.add(Registration(person=person, module=module, attendance=mark))
    db.session.commit()
    publish(*_pair(app, team), module, "Body.")
    followups = select(OutboxMessage.to_email).where(OutboxMessage.kind == "followup")
    recipients = db.session.scalars(followups).all()
    assert sorted(recipients) == ["p0@example.org", "p1@example.org"]

    writer, checker = client_for(app, team["organiser"]), client_for(app, team["reviewer"])
    post_action(writer, module, "reopen")
    save_draft(writer, module, "Corrected body.")
    post_action(writer, module, "submit")
    approve_and_publish(checker, module)
    assert _state(module) == "published"
    assert len(db.session.scalars(followups).all()) == 2


def test_markdown_is_rendered_with_headings_below_the_page_outline(app, team, module, client):
    publish(*_pair(app, team), module, "# Findings\n\n* **Bold** point\n\n[Report](https://example.org/r)")
    html = client.get(f"/series/{module.series.slug}/modules/1").get_data(as_text=True)
    assert "<h3>Findings</h3>" in html
    assert "<li><strong>Bold</strong> point</li>" in html
    assert '<a href="https://example.org/r" rel="noopener noreferrer nofollow">Report</a>' in html
