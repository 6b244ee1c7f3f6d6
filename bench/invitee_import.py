"""Benchmark: a 200,000-row invitee list (about 11 MB) through the web pages and the job.

    .venv/bin/python bench/invitee_import.py [--rows 200000]

Generates the list in memory (nothing is committed to the repository), logs an organiser in
through the login form and measures, on a temporary SQLite file (or BENCH_DATABASE_URL, whose
tables are dropped and created):

1. the upload and check (POST of the file, answered by a redirect to the preview) and the
   preview page;
2. the confirmation (must answer at once: the import is only queued);
3. the background job (`flask invitations run-imports`, as a worker runs it): every row in one
   transaction, 1,000 rows per batch;
4. a second import of the same file (every row an update).

Prints each time (wall clock, and CPU time of this process: on a shared machine the wall
clock also counts other processes), the file size, the preview page's size and the peak RSS.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORGANISATIONS = ("Ministry of Justice", "IOM", "UNODC", "\"Police; unit\"", "Interpol", "UNHCR")
COUNTRIES = ("Senegal", "Kenya", "France", "Egypt", "Uganda", "Côte d'Ivoire")


def invitee_list(rows: int) -> bytes:
    """A list as Excel writes it: header, CRLF, some quoted cells, about 55 bytes a row."""
    lines = ["Name,Email,Organisation,Country,Language"]
    for i in range(rows):
        lines.append(f"Person {i},p{i}@example-{i % 89}.org,{ORGANISATIONS[i % 6]},"
                     f"{COUNTRIES[i % 6]},{'fr' if i % 3 == 0 else 'en'}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from config import Config
    from webinar_app import create_app
    from webinar_app.extensions import db
    from webinar_app.models import Invitee, InviteeImport, Series, User

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    tmp = tempfile.mkdtemp()
    url = url or f"sqlite:///{tmp}/bench.sqlite"

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False
        MAIL_BACKGROUND_DELIVERY = False
        REDIS_URL = None
        TESTING = True  # no thread: the job is run below as a worker runs it
        RATELIMIT_ENABLED = False
        MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    app = create_app(BenchConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        series = Series(slug="bench", title="Bench", short_description="", description="",
                        organiser="Secretariat", chair="Chair", timezone="Europe/Brussels",
                        languages="en,fr")
        user = User(email="organiser@example.org", role="organiser")
        user.set_password("bench-password-123")
        db.session.add_all([series, user])
        db.session.commit()

    data = invitee_list(args.rows)
    print(f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB, database {url.split(':')[0]}")
    client = app.test_client()
    client.post("/auth/login", data={"email": "organiser@example.org",
                                     "password": "bench-password-123"})
    base = "/admin/series/bench/invitations"

    def upload() -> str:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(f"{base}/import", data={"file": (io.BytesIO(data), "big.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 302, response.status_code
        checked, checked_cpu = time.perf_counter(), time.process_time()
        preview = client.get(response.headers["Location"])
        shown = time.perf_counter()
        html = preview.get_data(as_text=True)
        print(f"  upload + check: {checked - started:.2f} s ({checked_cpu - cpu:.2f} s CPU); "
              f"preview page: "
              f"{shown - checked:.3f} s, {len(html) / 1000:.1f} KB")
        return re.search(r'action="([^"]+/confirm)"', html).group(1)

    def confirm_and_run(action: str) -> None:
        started = time.perf_counter()
        response = client.post(action)
        answered, cpu = time.perf_counter(), time.process_time()
        assert response.status_code == 302
        print(f"  confirmation answered in {answered - started:.3f} s")
        runner = app.test_cli_runner()
        result = runner.invoke(args=["invitations", "run-imports"])
        done, done_cpu = time.perf_counter(), time.process_time()
        assert result.exit_code == 0, result.output
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Done" in page, page
        print(f"  background job: {done - answered:.2f} s ({done_cpu - cpu:.2f} s CPU)")

    print("first import (all new):")
    confirm_and_run(upload())
    print("second import (all updates):")
    confirm_and_run(upload())
    with app.app_context():
        count = db.session.scalar(select(func.count(Invitee.id)))
        statuses = list(db.session.scalars(select(InviteeImport.status)))
    assert count == args.rows, count
    print(f"{count:,} invitees; imports: {statuses}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
