"""People and permissions: invitations, forgotten passwords, roles, deactivation, per-series
roles and the `flask users` commands, through HTTP, the CLI and the real SMTP sink."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from tests.summary_helpers import IsolatedClient
from webinar_app.auth import services as auth_services
from webinar_app.extensions import db
from webinar_app.models import AccountLink, OutboxMessage, Role, User, utcnow
from webinar_app.outbox.mailer import deliver_due

ADMIN = "admin@example.org"
COLLEAGUE = "colleague@example.org"
NEW_PASSWORD = "a fresh long passphrase"
LINK = re.compile(r"http://webinars\.test/auth/set-password/[A-Za-z0-9_\-]+")


@pytest.fixture()
def clients(app):
    """Test clients that do not share flask-login's per-request cache (one per browser)."""
    app.test_client_class = IsolatedClient
    return app.test_client


def log_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password,
                                            "csrf_token": token})


def post_form(client, url: str, form_url: str | None = None, **fields):
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **fields})


def is_logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def received_link(sink, address: str) -> str:
    """Deliver the outbox and return the set-password link of the one email to address."""
    db.session.commit()
    counts = deliver_due()
    assert counts.failed == 0 and counts.retrying == 0
    (mail,) = sink.to(address)
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    (link,) = set(LINK.findall(text))
    assert link in html
    return urlsplit(link).path  # the test client then keeps one cookie jar for one host


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)


@pytest.fixture()
def admin_browser(clients, make_user):
    make_user(ADMIN, Role.ADMIN.value)
    browser = clients()
    assert log_in(browser, ADMIN).status_code == 302
    return browser


def invite(browser, email: str, role: str, series: str = ""):
    """Fill the invitation form, check the confirmation page, confirm; the final response."""
    first = post_form(browser, "/auth/accounts/invite", email=email, role=role, series=series)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert f"One email will be sent to {email}" in page
    assert db.session.scalar(select(User).where(User.email == email)) is None, \
        "nothing is created or sent before the admin confirms"
    return post_form(browser, "/auth/accounts/invite", email=email, role=role, series=series,
                     confirm="yes")


# --- invitations ----------------------------------------------------------------------------


def test_an_invitation_link_sets_the_password_once_and_then_login_works(
    app, clients, admin_browser, smtp_sink, make_series
):
    make_series(slug="series-a", title="Series A")
    accounts = admin_browser.get("/auth/accounts").get_data(as_text=True)
    assert 'href="/auth/accounts/invite"' in accounts
    response = invite(admin_browser, COLLEAGUE, "series:reviewer", "series-a")
    assert response.status_code == 302
    link = received_link(smtp_sink, COLLEAGUE)
    (mail,) = smtp_sink.to(COLLEAGUE)
    assert "invited" in mail.message["Subject"]
    assert "reviewer of Series A" in mail.message.get_body(("plain",)).get_content()

    colleague = clients()
    page = colleague.get(link)
    assert page.status_code == 200 and COLLEAGUE in page.get_data(as_text=True)
    done = post_form(colleague, link, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    assert done.status_code == 302
    assert is_logged_in(colleague)
    post_form(colleague, "/auth/logout", "/admin/")
    assert log_in(clients(), COLLEAGUE, NEW_PASSWORD).status_code == 302

    again = clients().get(link)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    assert "Forgot your password?" in again.get_data(as_text=True)


def test_an_invitation_link_expires_after_72_hours(app, clients, admin_browser, smtp_sink,
                                                     monkeypatch):
    invite(admin_browser, COLLEAGUE, "organiser")
    link = received_link(smtp_sink, COLLEAGUE)
    sent_at = utcnow()
    monkeypatch.setattr(auth_services, "utcnow", lambda: sent_at + timedelta(hours=71))
    assert clients().get(link).status_code == 200
    monkeypatch.setattr(auth_services, "utcnow", lambda: sent_at + timedelta(hours=72, minutes=1))
    browser = clients()
    refused = browser.get(link)
    assert refused.status_code == 410
    assert "expired" in refused.get_data(as_text=True)
    posted = browser.post(link, data={"new_password": NEW_PASSWORD,
                                      "new_password_again": NEW_PASSWORD,
                                      "csrf_token": csrf_token(browser, "/auth/login")})
    assert posted.status_code == 410
    assert log_in(clients(), COLLEAGUE, NEW_PASSWORD).status_code != 302


def test_inviting_an_existing_account_is_refused_next_to_the_email(admin_browser, make_user):
    make_user(COLLEAGUE)
    response = post_form(admin_browser, "/auth/accounts/invite", email=COLLEAGUE,
                         role="organiser", series="", confirm="yes")
    assert response.status_code == 200
    assert "exists already" in response.get_data(as_text=True)
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_series_role_needs_a_series(admin_browser):
    response = post_form(admin_browser, "/auth/accounts/invite", email=COLLEAGUE,
                         role="series:organiser", series="")
    assert "Choose the series of this role." in response.get_data(as_text=True)


def test_an_unknown_link_is_refused(clients):
    response = clients().get("/auth/set-password/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


# --- forgotten passwords --------------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_page_and_only_the_known_one_an_email(
    clients, make_user, smtp_sink
):
    make_user(COLLEAGUE)
    login_page = clients().get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot"' in login_page
    pages = []
    for address in (COLLEAGUE, "nobody@example.org"):
        response = post_form(clients(), "/auth/forgot", email=address)
        assert response.status_code == 200
        pages.append(without_csrf(response.get_data(as_text=True)))
    assert pages[0] == pages[1]
    assert "Check your email" in pages[0]
    received_link(smtp_sink, COLLEAGUE)
    assert smtp_sink.to("nobody@example.org") == []
    assert len(smtp_sink.messages) == 1


def test_a_reset_link_sets_a_new_password_and_ends_every_other_session(
    clients, make_user, smtp_sink
):
    make_user(COLLEAGUE)
    laptop, thief = clients(), clients()
    assert log_in(laptop, COLLEAGUE).status_code == 302
    thief.set_cookie("session", laptop.get_cookie("session").value)
    assert is_logged_in(thief)
    post_form(clients(), "/auth/forgot", email=COLLEAGUE)
    link = received_link(smtp_sink, COLLEAGUE)
    phone = clients()
    assert post_form(phone, link, new_password=NEW_PASSWORD,
                     new_password_again=NEW_PASSWORD).status_code == 302
    assert is_logged_in(phone)
    assert not is_logged_in(laptop)
    assert not is_logged_in(thief)
    assert log_in(clients(), COLLEAGUE, PASSWORD).status_code != 302
    assert log_in(clients(), COLLEAGUE, NEW_PASSWORD).status_code == 302
    assert clients().get(link).status_code == 410


def test_a_short_new_password_is_refused_next_to_the_field(clients, make_user, smtp_sink):
    make_user(COLLEAGUE)
    post_form(clients(), "/auth/forgot", email=COLLEAGUE)
    link = received_link(smtp_sink, COLLEAGUE)
    response = post_form(clients(), link, new_password="short", new_password_again="short")
    assert response.status_code == 200
    assert 'id="new_password-error"' in response.get_data(as_text=True)
    assert clients().get(link).status_code == 200, "a refused attempt does not use the link"


def test_reset_requests_are_limited_per_address_and_per_client(app, clients, make_user):
    app.config.update(PASSWORD_RESET_ADDRESS_RATE_LIMIT="3 per hour",
                      PASSWORD_RESET_IP_RATE_LIMIT="5 per hour")
    browser = clients()

    def ask(address: str, ip: str = "10.0.0.1"):
        token = csrf_token(browser, "/auth/forgot")
        return browser.post("/auth/forgot", data={"email": address, "csrf_token": token},
                            environ_base={"REMOTE_ADDR": ip})

    assert [ask(COLLEAGUE).status_code for _ in range(3)] == [200, 200, 200]
    limited = ask(COLLEAGUE)
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert ask(COLLEAGUE, "10.0.0.2").status_code == 429, "the address is limited from anywhere"
    answers = [ask(f"person{i}@example.org", "10.0.0.9").status_code for i in range(6)]
    assert answers == [200] * 5 + [429], "five requests from one client"
    assert ask("person5@example.org", "10.0.0.3").status_code == 200


# --- roles and deactivation -----------------------------------------------------------------


def test_deactivating_ends_a_live_session_and_reactivating_lets_the_account_back(
    clients, admin_browser, make_user
):
    user = make_user(COLLEAGUE)
    browser, thief = clients(), clients()
    assert log_in(browser, COLLEAGUE).status_code == 302
    thief.set_cookie("session", browser.get_cookie("session").value)
    page = f"/auth/accounts/{user.id}"
    response = post_form(admin_browser, f"{page}/deactivate", page)
    assert response.status_code == 302
    assert "is deactivated" in admin_browser.get(page).get_data(as_text=True)
    assert not is_logged_in(browser)
    assert not is_logged_in(thief)
    assert log_in(clients(), COLLEAGUE).status_code != 302
    post_form(admin_browser, f"{page}/activate", page)
    assert log_in(clients(), COLLEAGUE).status_code == 302


def test_the_last_active_admin_cannot_deactivate_or_demote_themselves(admin_browser, make_user):
    admin = db.session.scalar(select(User).where(User.email == ADMIN))
    page = f"/auth/accounts/{admin.id}"
    post_form(admin_browser, f"{page}/deactivate", page)
    text = admin_browser.get(page).get_data(as_text=True)
    assert "last active admin" in text
    demoted = post_form(admin_browser, f"{page}/role", page, role="organiser")
    assert demoted.status_code == 400
    assert "last active admin" in demoted.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.is_active and admin.role == Role.ADMIN
    make_user("second-admin@example.org", Role.ADMIN.value)
    assert post_form(admin_browser, f"{page}/role", page, role="organiser").status_code == 302
    db.session.refresh(admin)
    assert admin.role == Role.ORGANISER


def test_an_admin_changes_global_and_series_roles_on_the_account_page(
    clients, admin_browser, make_user, make_series
):
    make_series(slug="series-a", title="Series A")
    user = make_user(COLLEAGUE)
    page = f"/auth/accounts/{user.id}"
    assert post_form(admin_browser, f"{page}/role", page, role="none").status_code == 302
    response = post_form(admin_browser, f"{page}/series-role", page,
                         **{"series_role-series": "series-a", "series_role-role": "organiser"})
    assert response.status_code == 302
    listing = admin_browser.get("/auth/accounts").get_data(as_text=True)
    assert "organiser of series-a" in listing
    browser = clients()
    log_in(browser, COLLEAGUE)
    assert browser.get("/admin/series/series-a/edit").status_code == 200
    post_form(admin_browser, f"{page}/series-role", page,
              **{"series_role-series": "series-a", "series_role-role": "none"})
    assert browser.get("/admin/series/series-a").status_code == 403


def test_an_admin_sends_a_new_password_link(admin_browser, make_user, smtp_sink):
    user = make_user(COLLEAGUE)
    page = f"/auth/accounts/{user.id}"
    assert post_form(admin_browser, f"{page}/send-link", page).status_code == 302
    assert received_link(smtp_sink, COLLEAGUE)


# --- per-series roles -----------------------------------------------------------------------


@pytest.fixture()
def two_series(make_series, make_module):
    series_a = make_series(slug="series-a", title="Series A")
    series_b = make_series(slug="series-b", title="Series B")
    make_module(series_a, number=1)
    make_module(series_b, number=1)
    return series_a, series_b


def series_user(email: str, series, role: str) -> User:
    user = User(email=email, role=Role.NONE.value)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    auth_services.set_series_role(user, series, role)
    db.session.commit()
    return user


def _get_urls(app, slug: str) -> list[str]:
    """Every GET page under /admin/series/<slug>/..., with 1 for each other parameter."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "slug" not in rule.arguments:
            continue
        if not rule.rule.startswith("/admin/series/"):
            continue
        values = {name: 1 for name in rule.arguments}
        values["slug"] = slug
        for name in rule.arguments:
            if f":{name}>" in rule.rule and "<any(" in rule.rule.split(f":{name}>")[0]:
                values[name] = rule.rule.split(f":{name}>")[0].rsplit("<any(", 1)[1] \
                    .split(",")[0].strip(" )")
        if "kind" in values:
            values["kind"] = "modules"
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def test_a_reviewer_of_one_series_sees_only_that_series(app, clients, two_series):
    series_a, _ = two_series
    series_user(COLLEAGUE, series_a, "reviewer")
    browser = clients()
    assert log_in(browser, COLLEAGUE).status_code == 302
    home = browser.get("/admin/").get_data(as_text=True)
    assert "Series A" in home and "Series B" not in home
    assert browser.get("/admin/series/series-a").status_code == 200
    assert browser.get("/admin/series/series-a/modules/1").status_code == 200
    assert browser.get("/admin/series/series-a/modules/1/summary").status_code == 200
    assert browser.get("/admin/series/series-a/edit").status_code == 403, "reviewers read only"
    urls = _get_urls(app, "series-b")
    assert len(urls) > 20
    for url in urls:
        response = browser.get(url)
        assert response.status_code == 403, url
        assert "no role in this series" in response.get_data(as_text=True), url
    refused = browser.post("/admin/series/series-b/modules/1/summary/publish",
                           data={"csrf_token": csrf_token(browser, "/admin/")})
    assert refused.status_code == 403
    assert browser.get("/admin/series/no-such-series").status_code == 403
    assert browser.get("/admin/outbox/").status_code == 403
    assert browser.get("/admin/series/new").status_code == 403


def test_an_organiser_of_one_series_edits_it_and_sees_its_personal_data(
    clients, two_series
):
    series_a, _ = two_series
    series_user(COLLEAGUE, series_a, "organiser")
    browser = clients()
    log_in(browser, COLLEAGUE)
    assert browser.get("/admin/series/series-a/edit").status_code == 200
    assert browser.get("/admin/series/series-a/registrations").status_code == 200
    assert browser.get("/admin/series/series-b/registrations").status_code == 403
    assert browser.get("/admin/series/series-b/edit").status_code == 403


def test_global_roles_keep_every_series(clients, make_user, two_series):
    make_user("reviewer@example.org", Role.REVIEWER.value)
    browser = clients()
    log_in(browser, "reviewer@example.org")
    home = browser.get("/admin/").get_data(as_text=True)
    assert "Series A" in home and "Series B" in home
    assert browser.get("/admin/series/series-b/modules/1/summary").status_code == 200


# --- the command line -----------------------------------------------------------------------


def test_users_commands_set_roles_list_and_deactivate(runner, make_user, two_series):
    make_user(ADMIN, Role.ADMIN.value)
    result = runner.invoke(args=["users", "create", COLLEAGUE, "--role", "reviewer"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "set-role", COLLEAGUE, "none"])
    assert result.exit_code == 0 and "is now none" in result.output
    result = runner.invoke(args=["users", "set-role", COLLEAGUE, "organiser",
                                 "--series", "series-b"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["users", "set-role", COLLEAGUE, "reviewer", "--series", "series-a"])

    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["EMAIL", "ROLE", "SERIES", "ROLES", "ACTIVE", "LAST", "LOGIN",
                                "(UTC)"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "reviewer of series-a, organiser of series-b" in rows[COLLEAGUE]
    assert rows[COLLEAGUE].split()[1] == "none"
    assert rows[COLLEAGUE].split()[-2:] == ["yes", "never"]
    assert rows[ADMIN].split()[1:] == ["admin", "-", "yes", "never"]

    result = runner.invoke(args=["users", "deactivate", COLLEAGUE])
    assert result.exit_code == 0 and "deactivated" in result.output
    assert runner.invoke(args=["users", "list"]).output.count(" no ") == 1
    result = runner.invoke(args=["users", "deactivate", COLLEAGUE, "--undo"])
    assert result.exit_code == 0 and "active" in result.output
    runner.invoke(args=["users", "deactivate", COLLEAGUE])
    assert runner.invoke(args=["users", "activate", COLLEAGUE]).exit_code == 0
    user = db.session.scalar(select(User).where(User.email == COLLEAGUE))
    db.session.refresh(user)
    assert user.is_active


@pytest.mark.parametrize(("args", "message"), [
    (["users", "set-role", "ghost@example.org", "admin"], "There is no account for"),
    (["users", "set-role", COLLEAGUE, "boss"], "Unknown role"),
    (["users", "set-role", COLLEAGUE, "admin", "--series", "series-a"], "not “admin”"),
    (["users", "set-role", COLLEAGUE, "reviewer", "--series", "nope"], "no series with the slug"),
    (["users", "deactivate", ADMIN], "last active admin"),
    (["users", "set-role", ADMIN, "reviewer"], "last active admin"),
    (["users", "deactivate", "ghost@example.org"], "There is no account for"),
])
def test_users_command_errors_say_why_without_a_traceback(runner, make_user, two_series, args,
                                                          message):
    make_user(ADMIN, Role.ADMIN.value)
    make_user(COLLEAGUE, Role.ORGANISER.value)
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                       SystemExit)


def test_account_links_are_stored_hashed(admin_browser, smtp_sink):
    invite(admin_browser, COLLEAGUE, "reviewer")
    link = received_link(smtp_sink, COLLEAGUE)
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(select(AccountLink))
    assert stored.token_hash != token and token not in stored.token_hash
