"""Accounts: login limits per (account, address), shared limits, proxies, sessions that end,
password changes, the same work for unknown accounts, and the production safeguards."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta

import pytest
from flask import request
from itsdangerous import TimestampSigner

from config import ProductionConfig
from tests.conftest import PASSWORD, csrf_token
from tests.summary_helpers import IsolatedClient
from webinar_app import create_app
from webinar_app.auth import services as auth_services
from webinar_app.extensions import db, limiter
from webinar_app.models import user as user_module

OWNER = "organiser@example.org"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture()
def new_app():
    """Build more application instances (other workers, other configs); close their pools."""
    built = []

    def _build(config):
        application = create_app(config)
        built.append(application)
        return application

    yield _build
    for application in built:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture()
def clients(app):
    """Test clients that do not share flask-login's per-request cache (one per browser)."""
    app.test_client_class = IsolatedClient
    return app.test_client


def attempt(client, email: str, password: str, address: str = "127.0.0.1", headers=None):
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
        headers=headers or {},
    )


def log_in(client, email: str = OWNER, password: str = PASSWORD) -> None:
    response = attempt(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)


def copy_session(source, target) -> None:
    """Put source's session cookie into target, as someone who copied the cookie would."""
    cookie = source.get_cookie("session")
    assert cookie is not None, "no session cookie to copy"
    target.set_cookie("session", cookie.value)


def post_form(client, url: str, **fields):
    token = csrf_token(client, url if url != "/auth/logout" else "/admin/")
    return client.post(url, data={"csrf_token": token, **fields})


def is_logged_in(client) -> bool:
    response = client.get("/admin/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


# --- failed-login limits -------------------------------------------------------------------


def test_a_stranger_guessing_cannot_lock_the_owner_out(client, make_user):
    make_user(OWNER)
    for _ in range(10):
        assert attempt(client, OWNER, "guess", "203.0.113.9").status_code == 200
    stranger = attempt(client, OWNER, PASSWORD, "203.0.113.9")
    assert stranger.status_code == 429
    assert "Too many attempts" in stranger.get_data(as_text=True)
    assert attempt(client, OWNER, PASSWORD, "198.51.100.7").status_code == 302


def test_the_pair_limit_counts_the_account_whatever_its_case(client, make_user):
    make_user(OWNER)
    for number in range(10):
        email = OWNER.upper() if number % 2 else f"  {OWNER}"
        assert attempt(client, email, "guess", "203.0.113.9").status_code == 200
    assert attempt(client, OWNER, PASSWORD, "203.0.113.9").status_code == 429


def test_spraying_many_accounts_from_one_address_is_limited(app, client, make_user):
    make_user(OWNER)
    allowed = int(app.config["LOGIN_ADDRESS_RATE_LIMIT"].split()[0])
    for number in range(allowed):
        response = attempt(client, f"person{number}@example.org", "Winter2026!", "203.0.113.50")
        assert response.status_code == 200, number
    assert attempt(client, OWNER, PASSWORD, "203.0.113.50").status_code == 429
    assert attempt(client, OWNER, PASSWORD, "203.0.113.51").status_code == 302


def test_redis_login_limits_are_shared_by_every_worker(_schema, tmp_path, make_user,
                                                        new_app):
    """Two application instances (two workers) on one Redis count the same failures."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/6) to test Redis limits")
    import redis

    class RedisLimits(_schema):
        RATELIMIT_STORAGE_URI = url
        MAIL_OUTBOX_DIR = str(tmp_path / "outbox")

    make_user(OWNER)
    store = redis.Redis.from_url(url)
    first = new_app(RedisLimits)
    limiter.reset()
    try:
        for _ in range(6):
            assert attempt(first.test_client(), OWNER, "guess", "203.0.113.9").status_code == 200
        assert any(b"login-pair" in key for key in store.scan_iter("*login-pair*"))
        second = new_app(RedisLimits)  # a new worker: its own connection, no memory of its own
        for _ in range(4):
            assert attempt(second.test_client(), OWNER, "guess", "203.0.113.9").status_code == 200
        assert attempt(second.test_client(), OWNER, PASSWORD, "203.0.113.9").status_code == 429
        assert attempt(second.test_client(), OWNER, PASSWORD, "198.51.100.7").status_code == 302
    finally:
        limiter.reset()
        store.close()


# --- behind a proxy -------------------------------------------------------------------------


@pytest.fixture()
def proxied_app(app, _schema, tmp_path, new_app):
    """The application as deployed behind one proxy (PROXY_FIX_HOPS=1)."""

    class Proxied(_schema):
        PROXY_FIX_HOPS = 1
        MAIL_OUTBOX_DIR = str(tmp_path / "outbox")

    proxied = new_app(Proxied)
    with proxied.app_context():
        yield proxied


def test_behind_a_proxy_the_forwarded_address_is_the_one_limited(proxied_app, make_user):
    make_user(OWNER)
    client = proxied_app.test_client()
    stranger = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(10):
        assert attempt(client, OWNER, "guess", "10.0.0.2", stranger).status_code == 200
    assert attempt(client, OWNER, PASSWORD, "10.0.0.2", stranger).status_code == 429
    owner = {"X-Forwarded-For": "198.51.100.7"}
    assert attempt(client, OWNER, PASSWORD, "10.0.0.2", owner).status_code == 302


def test_behind_a_proxy_the_forwarded_scheme_host_and_address_are_the_request_s(proxied_app):
    @proxied_app.get("/test-echo")
    def echo():
        return {"root": request.url_root, "address": request.remote_addr}

    forwarded = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "webinars.example.org"}
    seen = proxied_app.test_client().get("/test-echo", headers=forwarded,
                                         environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_json()
    assert seen == {"root": "https://webinars.example.org/", "address": "198.51.100.7"}


def test_without_a_proxy_a_forged_forwarded_address_changes_nothing(client, make_user):
    make_user(OWNER)
    for number in range(10):
        forged = {"X-Forwarded-For": f"192.0.2.{number}"}
        assert attempt(client, OWNER, "guess", "203.0.113.9", forged).status_code == 200
    forged = {"X-Forwarded-For": "192.0.2.200"}
    assert attempt(client, OWNER, PASSWORD, "203.0.113.9", forged).status_code == 429


# --- sessions that end ----------------------------------------------------------------------


def test_a_session_cookie_copied_before_logout_no_longer_opens_the_admin_pages(
    clients, make_user
):
    make_user(OWNER)
    browser, thief = clients(), clients()
    log_in(browser)
    copy_session(browser, thief)
    assert is_logged_in(thief)
    assert post_form(browser, "/auth/logout").status_code == 302
    assert not is_logged_in(browser)
    assert not is_logged_in(thief)
    assert thief.get("/admin/").headers["Location"].startswith("/auth/login")


def test_logout_ends_the_sessions_on_every_device(clients, make_user):
    make_user(OWNER)
    laptop, phone = clients(), clients()
    log_in(laptop)
    log_in(phone)
    post_form(laptop, "/auth/logout")
    assert not is_logged_in(phone)
    log_in(phone)
    assert is_logged_in(phone)


def test_a_password_change_ends_every_other_session(clients, make_user):
    make_user(OWNER)
    browser, thief = clients(), clients()
    log_in(browser)
    copy_session(browser, thief)
    response = post_form(browser, "/auth/password", current_password=PASSWORD,
                         new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    assert response.status_code == 302
    assert "Your password is changed" in browser.get("/admin/").get_data(as_text=True)
    assert is_logged_in(browser)
    assert not is_logged_in(thief)
    fresh = clients()
    assert attempt(fresh, OWNER, PASSWORD).status_code == 200
    assert attempt(fresh, OWNER, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (dict(current_password="not my password", new_password=NEW_PASSWORD,
              new_password_again=NEW_PASSWORD), "current_password",
         "The current password is not right."),
        (dict(current_password=PASSWORD, new_password="short pass",
              new_password_again="short pass"), "new_password", "Use between 12 and 200"),
        (dict(current_password=PASSWORD, new_password=NEW_PASSWORD,
              new_password_again=NEW_PASSWORD + "!"), "new_password_again", "are not the same"),
    ],
)
def test_a_refused_password_change_says_why_next_to_the_field(
    clients, make_user, fields, field, message
):
    make_user(OWNER)
    browser = clients()
    log_in(browser)
    response = post_form(browser, "/auth/password", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(f'id="{field}-error">[^<]*{re.escape(message)}', html)
    assert is_logged_in(browser)
    assert attempt(clients(), OWNER, PASSWORD).status_code == 302


def test_the_password_page_is_linked_from_the_header_and_needs_a_login(clients, make_user):
    make_user(OWNER)
    anonymous = clients()
    assert anonymous.get("/auth/password").headers["Location"].startswith("/auth/login")
    browser = clients()
    log_in(browser)
    html = browser.get("/admin/").get_data(as_text=True)
    assert 'href="/auth/password"' in html
    page = browser.get("/auth/password").get_data(as_text=True)
    for label in ("Current password", "New password", "New password again"):
        assert f">{label}</label>" in page
    assert 'autocomplete="new-password"' in page


def test_the_end_sessions_command_logs_an_account_out_everywhere(clients, runner, make_user):
    make_user(OWNER)
    browser = clients()
    log_in(browser)
    result = runner.invoke(args=["users", "end-sessions", OWNER])
    assert result.exit_code == 0, result.output
    assert "Every session of organiser@example.org has ended." in result.output
    assert not is_logged_in(browser)
    missing = runner.invoke(args=["users", "end-sessions", "nobody@example.org"])
    assert missing.exit_code != 0 and "There is no account" in missing.output


# --- inactivity -------------------------------------------------------------------------------


def _advance_session_clock(monkeypatch, hours: float) -> None:
    """Move the clock that signs and checks session cookies forward by `hours` from now."""
    offset = int(hours * 3600)
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) + offset)


def test_a_session_ends_after_session_hours_without_a_request(app, clients, make_user,
                                                              monkeypatch):
    assert app.config["SESSION_HOURS"] == 12
    assert app.permanent_session_lifetime == timedelta(hours=12)
    make_user(OWNER)
    browser = clients()
    log_in(browser)
    _advance_session_clock(monkeypatch, 11)
    assert is_logged_in(browser)  # each request starts the 12 hours again
    _advance_session_clock(monkeypatch, 22)
    assert is_logged_in(browser)
    _advance_session_clock(monkeypatch, 34 + 1 / 60)
    assert not is_logged_in(browser)


def test_the_session_cookie_is_refreshed_and_no_remember_cookie_is_set(client, make_user):
    make_user(OWNER)
    response = attempt(client, OWNER, PASSWORD)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "Expires=" in session_cookie and "HttpOnly" in session_cookie
    assert not any(c.startswith("remember_token=") for c in cookies)
    again = client.get("/admin/")
    assert any(c.startswith("session=") for c in again.headers.getlist("Set-Cookie"))


def test_a_short_lifetime_really_expires_in_real_time(_schema, tmp_path, make_user, new_app):
    class OneSecond(_schema):
        PERMANENT_SESSION_LIFETIME = timedelta(seconds=1)
        MAIL_OUTBOX_DIR = str(tmp_path / "outbox")

    make_user(OWNER)
    short = new_app(OneSecond)
    short.test_client_class = IsolatedClient
    with short.app_context():
        browser = short.test_client()
        log_in(browser)
        assert is_logged_in(browser)
        time.sleep(2.1)  # signatures carry whole seconds: 2 s is the least that surely expires
        assert not is_logged_in(browser)


# --- unknown accounts cost the same work --------------------------------------------------------


@pytest.fixture()
def hash_checks(monkeypatch):
    """Count the password-hash checks, through the real hashing function."""
    calls: list[str] = []

    def counting(where):
        real = where.check_password_hash

        def check(pwhash: str, password: str) -> bool:
            calls.append(pwhash.split("$")[0])
            return real(pwhash, password)

        monkeypatch.setattr(where, "check_password_hash", check)

    counting(auth_services)
    counting(user_module)
    return calls


@pytest.mark.parametrize("case", ["unknown", "deactivated", "wrong password"])
def test_every_failed_login_checks_one_hash_of_the_same_cost(client, make_user, hash_checks,
                                                             case):
    """Timing is not measured (too noisy on a shared machine); instead each failure is shown to
    run exactly one hash check, with the same algorithm and cost as a real account's hash."""
    user = make_user(OWNER)
    if case == "deactivated":
        user.is_active = False
        db.session.commit()
    email = "nobody@example.org" if case == "unknown" else OWNER
    password = PASSWORD if case != "wrong password" else "not the password"
    assert attempt(client, email, password).status_code == 200
    real_method = user.password_hash.split("$")[0]
    assert hash_checks == [real_method]
    assert auth_services.dummy_password_hash().split("$")[0] == real_method


# --- production safeguards --------------------------------------------------------------------


def _production(app, tmp_path, secret: str):
    return type("Production", (ProductionConfig,), {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": None,
        "MAIL_BACKGROUND_DELIVERY": False,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "REDIS_URL": None,
    })


@pytest.mark.parametrize("secret", ["dev-not-secret", "", "short-but-not-default", "é" * 15])
def test_production_refuses_a_short_or_default_secret_key(app, tmp_path, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(_production(app, tmp_path, secret))


def test_production_asks_for_32_bytes_in_its_message(app, tmp_path):
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        create_app(_production(app, tmp_path, "x" * 31))


def test_production_sends_hsts_and_secure_cookies(app, tmp_path, make_user, new_app):
    make_user(OWNER)
    production = new_app(_production(app, tmp_path, "k" * 32))
    with production.app_context():
        client = production.test_client()
        response = client.get("/auth/login")
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
        login = attempt(client, OWNER, PASSWORD)
        assert login.status_code == 302
        cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_guessing_the_current_password_with_a_stolen_session_is_limited(clients, make_user):
    make_user(OWNER)
    browser = clients()
    log_in(browser)
    wrong = dict(current_password="guess", new_password=NEW_PASSWORD,
                 new_password_again=NEW_PASSWORD)
    for _ in range(10):
        assert post_form(browser, "/auth/password", **wrong).status_code == 200
    right = dict(wrong, current_password=PASSWORD)
    assert post_form(browser, "/auth/password", **right).status_code == 429


def test_an_account_from_before_session_tokens_gets_one_at_its_next_login(clients, make_user):
    user = make_user(OWNER)
    user.session_token = ""  # what the migration leaves in rows older than the column
    db.session.commit()
    assert auth_services.load_user(f"{user.id}.") is None
    browser = clients()
    log_in(browser)
    db.session.expire_all()
    assert len(db.session.get(type(user), user.id).session_token) == 32
    assert is_logged_in(browser)
