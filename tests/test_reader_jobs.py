"""Building the Reader off the request: the page shows it building, then offers the download,
or says why it failed and offers to try again."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import MINIMAL_PDF, csrf_token
from webinar_app.extensions import db
from webinar_app.models import BackgroundNote, ReaderBuild, ReaderBuildJob, Role
from webinar_app.reader import jobs

PAGE = "/admin/series/test-series/reader"
REFRESH = "data-progress"  # the page loads progress.js, which keeps it current


@pytest.fixture()
def organiser(make_user, login):
    user = make_user("editor@example.org", Role.ORGANISER.value)
    login(user)
    return user


@pytest.fixture()
def series(make_series, make_module, make_note):
    series = make_series()
    module = make_module(series, number=1, title="Protecting victims")
    make_note(module, title="Uploaded note")
    return series


def _ask(client) -> str:
    response = client.post(f"{PAGE}/builds", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 302
    return response.headers["Location"]


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _download_link(html: str) -> str:
    return re.search(r'href="([^"]+/reader/builds/\d+\.pdf)"', html)[1]


def test_build_waits_then_the_cli_runs_it_and_the_page_offers_the_download(
    client, runner, organiser, series
):
    job_page = _ask(client)
    assert db.session.scalar(select(ReaderBuild)) is None  # nothing built during the request
    html = _html(client, job_page)
    assert "Waiting to start" in html and REFRESH in html
    reader_page = _html(client, PAGE)
    assert "A build is in progress." in reader_page and job_page in reader_page

    result = runner.invoke(args=["reader", "run-pending"])
    assert result.exit_code == 0 and "1 Reader builds run." in result.output

    html = _html(client, job_page)
    assert REFRESH not in html
    assert "Draft build 1 made (" in html  # module 1 has no published summary yet
    download = client.get(_download_link(html))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert len(PdfReader(BytesIO(download.data)).pages) > 1


def test_asking_twice_while_waiting_gives_the_same_build(client, organiser, series):
    assert _ask(client) == _ask(client)
    assert db.session.query(ReaderBuildJob).count() == 1


def test_without_a_worker_the_request_starts_a_thread(app, client, organiser, series):
    app.config["READER_BUILD_THREAD"] = True  # as under `make run`, outside TESTING
    job_page = _ask(client)
    jobs.BUILDS.wait(120)

    html = _html(client, job_page)
    assert "Draft build 1 made" in html
    assert client.get(_download_link(html)).status_code == 200


def test_a_failing_build_shows_its_reason_and_a_retry_that_works(
    client, runner, organiser, series
):
    note = db.session.scalar(select(BackgroundNote))
    note.file_data = b"not a PDF at all"
    db.session.commit()
    job_page = _ask(client)
    assert runner.invoke(args=["reader", "run-pending"]).exit_code == 0

    html = _html(client, job_page)
    assert "The build failed" in html and REFRESH not in html
    assert "“Uploaded note” of module 1 cannot be read as a PDF" in html
    assert db.session.scalar(select(ReaderBuild)) is None
    assert "The last build failed." in _html(client, PAGE)

    note = db.session.scalar(select(BackgroundNote))
    note.file_data = MINIMAL_PDF
    db.session.commit()
    retry = re.search(r'<form method="post" action="([^"]+/reader/builds)"', html)[1]
    response = client.post(retry, data={"csrf_token": csrf_token(client, job_page)})
    again = response.headers["Location"]
    assert again != job_page
    assert runner.invoke(args=["reader", "run-pending"]).exit_code == 0
    assert "Draft build 1 made" in _html(client, again)


def test_a_series_without_modules_is_refused_at_once(client, organiser, make_series):
    make_series()
    response = client.post(f"{PAGE}/builds", data={"csrf_token": csrf_token(client, PAGE)},
                           follow_redirects=True)
    assert "The series has no module yet" in response.get_data(as_text=True)
    assert db.session.query(ReaderBuildJob).count() == 0


def test_a_build_left_running_by_a_dead_worker_is_failed(client, organiser, series):
    job_page = _ask(client)
    job = db.session.scalar(select(ReaderBuildJob))
    job.status = "running"
    db.session.commit()
    html = _html(client, job_page)
    assert "Building: the Reader is being compiled" in html and REFRESH in html
    db.session.execute(
        ReaderBuildJob.__table__.update().values(updated_at=jobs.utcnow() - jobs.STALE_AFTER * 2)
    )
    db.session.commit()

    assert jobs.run_waiting_jobs() == 0
    assert "The worker stopped before the build finished." in _html(client, job_page)


def test_a_french_organiser_reads_the_failure_in_french(client, runner, organiser, series):
    note = db.session.scalar(select(BackgroundNote))
    note.file_data = b"not a PDF"
    db.session.commit()
    client.set_cookie("lang", "fr")
    job_page = _ask(client)
    assert runner.invoke(args=["reader", "run-pending"]).exit_code == 0
    assert "ne peut pas être lue comme un PDF" in _html(client, job_page)
