"""No input answers 500: numbers beyond the database, NUL in addresses, bad CLI arguments, and
an unreachable database (issue 9, item 8)."""

from __future__ import annotations

import logging
import re
import shutil

import pytest
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from config import TestConfig
from tests.conftest import PASSWORD, csrf_token
from tests.mailsink import free_port
from webinar_app import create_app
from webinar_app.core.urls import DB_INT_MAX
from webinar_app.extensions import db
from webinar_app.models import Role, User

HUGE = "99999999999999999999999"
PAST_INTEGER = str(DB_INT_MAX + 1)
VALUES = {"slug": "test-series", "token": "not-a-token", "filename": "note.pdf",
          "kind": "countries", "code": "en"}


@pytest.fixture()
def admin(client, make_user, login):
    user = make_user("admin@example.org", Role.ADMIN.value)
    login(user)
    return user


@pytest.fixture()
def series(make_series, make_module):
    series = make_series()
    make_module(series)
    return series


def _urls_with_ints(app, number: str) -> list[tuple[str, str]]:
    """(method, path) of every route taking a whole number, with `number` in each."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<int:\w+>", number, rule.rule)
        path = re.sub(r"<any\(([\w-]+)[^>]*>", r"\1", path)
        path = re.sub(r"<(?:string:)?(\w+)>", lambda m: VALUES[m.group(1)], path)
        found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize("number", [HUGE, PAST_INTEGER, "18446744073709551616"])
def test_every_route_answers_404_to_numbers_beyond_the_database(app, client, admin, series,
                                                                number):
    urls = _urls_with_ints(app, number)
    assert len(urls) > 30
    token = csrf_token(client, "/admin/")
    for method, path in urls:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, path, response.status_code)


def test_the_largest_stored_number_is_looked_up_normally(app, client, admin, series):
    for method, path in _urls_with_ints(app, str(DB_INT_MAX)):
        if method == "GET":
            assert client.get(path).status_code == 404, path


def test_the_reported_module_address(client, series):
    response = client.get(f"/series/test-series/modules/{HUGE}")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)
    assert client.get("/series/test-series/modules/1").status_code == 200


@pytest.mark.parametrize("url", [
    "/admin/series/test-series/registrations",
    "/admin/series/test-series/invitations",
    "/admin/outbox/",
])
def test_page_numbers_beyond_the_database_are_404(client, admin, series, url):
    assert client.get(f"{url}?page={HUGE}").status_code == 404
    assert client.get(f"{url}?page={PAST_INTEGER}").status_code == 404
    assert client.get(f"{url}?page={DB_INT_MAX}").status_code == 200  # an empty page
    assert client.get(f"{url}?page=abc").status_code == 200
    assert client.get(f"{url}?page=2").status_code == 200


@pytest.mark.parametrize("url", [
    f"/series/test-series/register?module={HUGE}",
    f"/series/test-series/modules/1?tz={HUGE}",
    f"/admin/series/test-series/registrations?module={HUGE}&status={HUGE}&country={HUGE}",
    f"/admin/series/test-series/modules/1/summary/compare?old={HUGE}&new=-{HUGE}",
    f"/admin/series/test-series/reports?module={HUGE}",
    f"/series/test-series/good-practices?pillar={HUGE}&covid={HUGE}",
])
def test_other_numbers_in_query_strings_are_no_server_error(client, admin, series, url):
    assert client.get(url).status_code in (200, 302, 400, 404)


def test_a_campaign_page_number_beyond_the_database_is_404(client, admin, series):
    url = "/admin/series/test-series/invitations/campaigns/new"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "subject_en": "Hello", "subject_fr": "Bonjour"})
    campaign = response.headers["Location"]
    assert client.get(f"{campaign}?page={HUGE}").status_code == 404
    assert client.get(campaign).status_code == 200


@pytest.mark.parametrize("url", [
    "/series/%00", "/series/test-series%00", "/me/%00", "/series/test-series/modules/1/x%00",
    "/unsubscribe/%00", "/series/%1B", "/series/%C2%85",
])
def test_control_characters_in_the_path_are_404(client, series, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/series/test-series/modules/1?tz=%00",
    "/series/test-series/register?invite=%00",
    "/series/test-series/register?module=%00",
    "/series/test-series/good-practices?pillar=%00&organisation=%00",
    "/admin/series/test-series/registrations?q=%00",
    "/admin/series/test-series/invitations?q=%00&country=%00",
    "/language/fr?next=%00",
    "/?lang=%00",
    "/?%00=1",
])
def test_nul_in_the_query_string_is_a_clear_400(client, admin, series, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "The address contains a NUL character (%00)" in response.get_data(as_text=True)


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["modules", "reschedule", "test-series", HUGE, "--start", "2027-03-02T14:00"],
     "is not in the range"),
    (["modules", "reschedule", "test-series", "1", "--start", "2027-13-45T99:00"],
     "Cannot read the start"),
    (["modules", "reschedule", "test-series", "1", "--start", "yesterday"],
     "Cannot read the start"),
    (["modules", "reschedule", "no-such-series", "1", "--start", "2027-03-02T14:00"],
     "No series with the slug"),
    (["modules", "reschedule", "test-series", "1", "--start", "2027-03-02T14:00",
      "--duration", HUGE], "is not in the range"),
    (["modules", "reschedule", "test-series", "1", "--start", "2027-03-02T14:00",
      "--tz", "Mars/Olympus"], "Unknown time zone"),
    (["modules", "cancel", "test-series", HUGE], "is not in the range"),
    (["modules", "cancel", "test-series\x00", "1"], ""),  # SQLite: no series; PostgreSQL: NUL
    (["modules", "set-capacity", "test-series", HUGE, "10"], "is not in the range"),
    (["modules", "set-capacity", "test-series", "1", HUGE], ""),
    (["invitations", "send", "--series", "test-series", "--campaign", HUGE],
     "is not in the range"),
    (["invitations", "send", "--series", "test-series", "--module", HUGE],
     "is not in the range"),
])
def test_bad_cli_input_prints_an_error_not_a_traceback(runner, series, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code in (1, 2), result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "Error" in result.output and message in result.output


def test_attendance_import_with_a_huge_module_number(runner, series, tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Name,Email,Duration\nAda,ada@example.org,60\n", encoding="utf-8")
    result = runner.invoke(args=["attendance", "import", str(path), "--series", "test-series",
                                 "--module", HUGE])
    assert result.exit_code == 2 and "is not in the range" in result.output
    assert isinstance(result.exception, SystemExit)


# --- the database is unreachable ------------------------------------------------------------


def _down_app(url: str, **settings):
    config = type("DownConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **settings})
    return create_app(config)


DOWN_PAGES = ["/", "/series/", "/series/thb-4ps-revisited", "/series/thb-4ps-revisited/modules/1",
              "/series/thb-4ps-revisited/calendar.ics", "/me/some-token",
              "/series/thb-4ps-revisited/register"]


# Retry-After is at least our 30 seconds; on rate-limited pages Flask-Limiter may raise it to
# the end of its window.


def _problems(records, request_count: int) -> None:
    """Exactly one log line per failed request, without a traceback."""
    lines = [r for r in records if r.levelno >= logging.WARNING]
    assert len(lines) == request_count, [r.getMessage() for r in lines]
    for record in lines:
        assert record.exc_info is None and "Traceback" not in record.getMessage()
        assert "Database unavailable for" in record.getMessage()
        assert "\n" not in record.getMessage()


def test_pages_answer_503_while_postgresql_cannot_be_reached(caplog):
    app = _down_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/webinars")
    client = app.test_client()
    caplog.set_level(logging.INFO)
    caplog.clear()
    for url in DOWN_PAGES:
        response = client.get(url)
        assert response.status_code == 503, url
        assert int(response.headers["Retry-After"]) >= 30
        html = response.get_data(as_text=True)
        assert "Please try again in a moment" in html and 'class="site-header"' in html
    _problems(caplog.records, len(DOWN_PAGES))


def test_the_503_page_is_in_the_visitors_language(caplog):
    app = _down_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/webinars")
    response = app.test_client().get("/series/", headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_health_check_and_api_answer_503_in_json(caplog):
    app = _down_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/webinars")
    client = app.test_client()
    for url in ["/healthz", "/api/v1/series"]:
        response = client.get(url)
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 30
        assert response.get_json()["status"] == 503


def test_a_logged_in_organiser_gets_503_when_the_sqlite_file_becomes_unreachable(
    tmp_path, caplog
):
    folder = tmp_path / "db"
    app = _down_app(f"sqlite:///{folder / 'webinars.sqlite'}")
    with app.app_context():
        db.create_all()
        user = User(email="organiser@example.org", role=Role.ORGANISER.value)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"email": "organiser@example.org",
                                                "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200

    shutil.rmtree(folder)
    with app.app_context():
        db.engine.dispose()
    caplog.set_level(logging.INFO)
    caplog.clear()
    for url in ["/admin/", "/series/", "/healthz"]:
        response = client.get(url)
        assert response.status_code == 503, url
        assert int(response.headers["Retry-After"]) >= 30
    response = client.post("/auth/login", data={"email": "organiser@example.org",
                                                "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 503
    _problems(caplog.records, 4)
    with app.test_request_context():
        assert not current_user.is_authenticated


def test_cli_says_the_database_cannot_be_reached(caplog):
    app = _down_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/webinars")
    runner = app.test_cli_runner()
    for args in (["modules", "cancel", "test-series", "1"], ["mail", "deliver"],
                 ["invitations", "send", "--series", "test-series"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert result.output.startswith("Error: The database"), result.output
        assert "cannot be reached" in result.output or "unavailable" in result.output
        assert "Traceback" not in result.output


def test_a_missing_table_is_a_bug_not_a_moment_to_wait(tmp_path):
    app = _down_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")  # reachable, but no schema
    with pytest.raises(OperationalError, match="no such table"):
        app.test_client().get("/series/")
