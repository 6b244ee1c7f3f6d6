"""Logging in and out, the login rate limit, roles, and `flask users create`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from webinar_app.extensions import db
from webinar_app.models import Role, User


def attempt(client, email: str, password: str, address: str = "127.0.0.1"):
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_login_opens_the_organiser_pages(client, make_user):
    make_user("organiser@example.org")
    response = attempt(client, "Organiser@Example.org", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


def test_login_returns_to_the_page_asked_for_but_not_elsewhere(client, make_user):
    make_user()
    token = csrf_token(client, "/auth/login")
    data = {"email": "organiser@example.org", "password": PASSWORD, "csrf_token": token}
    response = client.post("/auth/login?next=//evil.example/x", data=data)
    assert response.headers["Location"].endswith("/admin/")


def test_wrong_password_shows_a_message_next_to_the_field(client, make_user):
    make_user()
    response = attempt(client, "organiser@example.org", "wrong password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="password-error">Email or password is not right.' in html
    assert 'value="organiser@example.org"' in html
    assert client.get("/admin/").status_code == 302


def test_nul_character_in_the_email_is_a_wrong_login_not_a_server_error(client, make_user):
    make_user()
    response = attempt(client, "organiser@example.org\x00", PASSWORD)
    assert response.status_code == 200
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_inactive_account_cannot_log_in(client, make_user):
    user = make_user()
    user.is_active = False
    db.session.commit()
    assert attempt(client, user.email, PASSWORD).status_code == 200


def test_logout_ends_the_session(client, make_user, login):
    login(make_user())
    token = csrf_token(client, "/admin/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_failed_logins_are_limited_per_account_and_address(client, make_user):
    make_user()
    for _ in range(10):
        assert attempt(client, "organiser@example.org", "wrong", "10.0.0.1").status_code == 200
    blocked = attempt(client, "organiser@example.org", PASSWORD, "10.0.0.1")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert attempt(client, "organiser@example.org", PASSWORD, "10.0.1.1").status_code == 302


def test_failed_logins_are_limited_per_address(app, client, make_user):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "10 per 15 minutes"
    make_user()
    for number in range(10):
        assert attempt(client, f"guess{number}@example.org", "wrong", "10.9.9.9").status_code == 200
    assert attempt(client, "organiser@example.org", PASSWORD, "10.9.9.9").status_code == 429
    assert attempt(client, "organiser@example.org", PASSWORD, "10.9.9.8").status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(client, make_user):
    make_user()
    for _ in range(12):
        assert attempt(client, "organiser@example.org", PASSWORD, "10.7.7.7").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user()
    response = client.post("/auth/login", data={"email": "organiser@example.org",
                                                "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["organiser", "reviewer", "admin"])
def test_users_create_reads_the_password_from_stdin(runner, client, role):
    result = runner.invoke(args=["users", "create", "new@example.org", "--role", role],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert f"Created {role} new@example.org" in result.output
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == role
    assert attempt(client, "new@example.org", "a long enough password").status_code == 302


def test_users_create_refuses_a_short_password_and_a_taken_email(runner, make_user):
    make_user("taken@example.org")
    short = runner.invoke(args=["users", "create", "x@example.org"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    taken = runner.invoke(args=["users", "create", "taken@example.org"], input="long password 1\n")
    assert taken.exit_code != 0 and "exists already" in taken.output
    bad_role = runner.invoke(args=["users", "create", "y@example.org", "--role", "boss"],
                             input="long password 1\n")
    assert bad_role.exit_code != 0


def test_roles_decide_who_edits(client, make_user, login, make_series):
    make_series()
    login(make_user("admin@example.org", Role.ADMIN.value))
    assert client.get("/admin/series/test-series/edit").status_code == 200
