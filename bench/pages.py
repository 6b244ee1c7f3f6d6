"""Benchmark the public pages against a bare Flask app, over loopback, with wrk.

Run by hand (`make bench` or `.venv/bin/python bench/pages.py`). It
1. builds a fresh SQLite database with the demo series in a temporary directory
   (`flask db upgrade` + `flask seed-demo`),
2. serves the app with gunicorn (2 workers) on a free loopback port,
3. saves each page's current HTML/iCalendar as a Jinja template under bench/templates/ and serves
   them from bench/bare_app.py with gunicorn (2 workers) on another port,
4. loads each page and its bare twin with `wrk --latency -t2 -c16 -d10s`, one after the other,
   and prints requests/s, median and 99th-percentile latency and the ratio app/bare;
5. then loads each page's revalidation (the same URL with `If-None-Match: <its ETag>`, answered
   304) against the bare app's cheapest 304 (/revalidate/: the snapshot kept in memory with its
   ETag, through Werkzeug's `make_conditional`).
Goals: a ratio of at least 0.5 for every full page (issue 2) and 0.8 for every revalidation
(issue 13). Needs wrk (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TEMPLATES = BENCH / "templates"
RESULTS = BENCH / "results"
SLUG = "thb-4ps-revisited"
PAGES = {
    "series page": (f"/series/{SLUG}", "series_page.html"),
    "module page": (f"/series/{SLUG}/modules/1", "module_page.html"),
    "series calendar feed": (f"/series/{SLUG}/calendar.ics", "series_calendar.ics"),
    "module calendar feed": (f"/series/{SLUG}/modules/1/calendar.ics", "module_calendar.ics"),
    "API series": (f"/api/v1/series/{SLUG}", "api_series.json"),
}
GOALS = {"full": 0.5, "304": 0.8}


@dataclass
class Load:
    requests_per_s: float
    median_ms: float
    p99_ms: float
    errors: int


@dataclass
class Row:
    page: str
    kind: str  # "full" (200 with the body) or "304" (revalidation)
    url: str
    body_bytes: int
    app: Load
    bare: Load

    @property
    def ratio(self) -> float:
        return self.app.requests_per_s / self.bare.requests_per_s if self.bare.requests_per_s else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def build_database(env: dict) -> None:
    """Upgrade and seed; if the migrations lag behind the models, fall back to create_all."""
    upgrade = flask(env, "db", "upgrade")
    check = flask(env, "db", "check")
    if upgrade.returncode != 0 or check.returncode != 0:
        print("! migrations do not match the models; building the schema with create_all")
        Path(env["DATABASE_URL"].removeprefix("sqlite:///")).unlink(missing_ok=True)
        code = (
            "from config import Config; from webinar_app import create_app; "
            "from webinar_app.extensions import db; app = create_app(Config); "
            "app.app_context().push(); db.create_all()"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    seed = flask(env, "seed-demo")
    if seed.returncode != 0:
        raise SystemExit(f"seed-demo failed:\n{seed.stderr}")
    print(seed.stdout.strip())


def gunicorn(app: str, port: int, env: dict, chdir: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--chdir", str(chdir), "--error-logfile", str(log), "--log-level", "warning",
         "--no-control-socket", app],
        cwd=chdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def to_template(body: str) -> str:
    """The page as a Jinja template that renders to (nearly) the same text."""
    if any(token in body for token in ("{{", "{%", "{#")):
        return "{% raw %}" + body + "{% endraw %}"
    return re.sub(r"<title>.*?</title>", "<title>{{ title }}</title>", body, count=1, flags=re.S)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, duration: str, threads: int, connections: int, etag: str = "") -> Load:
    command = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{duration}", url]
    if etag:
        command[1:1] = ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    median = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)) else 0
    socket_errors = re.search(r"Socket errors:.*", out)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(0)))
    return Load(rps, median, p99, errors)


def print_table(rows: list[Row]) -> None:
    header = (f"{'page':<22}{'kind':>5}{'bytes':>8}  {'app req/s':>10}{'median':>9}{'p99':>9}  "
              f"{'bare req/s':>10}{'median':>9}{'p99':>9}  {'ratio':>6}")
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.page:<22}{row.kind:>5}{row.body_bytes:>8}  {row.app.requests_per_s:>10.0f}"
            f"{row.app.median_ms:>7.2f}ms{row.app.p99_ms:>7.2f}ms  "
            f"{row.bare.requests_per_s:>10.0f}{row.bare.median_ms:>7.2f}ms"
            f"{row.bare.p99_ms:>7.2f}ms  {row.ratio:>6.2f}"
        )
        if row.app.errors or row.bare.errors:
            print(f"  ! errors: app {row.app.errors}, bare {row.bare.errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10s", help="wrk -d (default 10s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="alternate app and bare runs this many times and average (for a noisy machine)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2

    TEMPLATES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "MAIL_OUTBOX_DIR": f"{tmp}/outbox",
            "MAIL_BACKGROUND_DELIVERY": "0",
            "FLASK_APP": "wsgi:app",
        }
        env.pop("FLASK_ENV", None)
        build_database(env)
        app_port, bare_port = free_port(), free_port()
        servers = [
            gunicorn("wsgi:app", app_port, env, ROOT, Path(tmp) / "app.log"),
            gunicorn("bare_app:app", bare_port, env, BENCH, Path(tmp) / "bare.log"),
        ]
        try:
            for server, port, log in ((servers[0], app_port, "app.log"),
                                      (servers[1], bare_port, "bare.log")):
                try:
                    wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
                except SystemExit:
                    print((Path(tmp) / log).read_text()[-2000:], file=sys.stderr)
                    raise
            rows = run_pages(app_port, bare_port, args)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=20)
    if not rows:
        print("No page answered 200: nothing measured.")
        return 1
    print_table(rows)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    result_file = RESULTS / f"pages-{stamp}.json"
    result_file.write_text(
        json.dumps([{**asdict(r), "ratio": round(r.ratio, 3)} for r in rows], indent=2)
    )
    slow = [f"{r.page} ({r.kind})" for r in rows if r.ratio < GOALS[r.kind]]
    print(f"\nGoals: ratio >= {GOALS['full']} for every full page, >= {GOALS['304']} for every "
          "revalidation: " + ("met." if not slow else f"NOT met for {', '.join(slow)}."))
    print(f"Load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(f"Results saved to {result_file.relative_to(ROOT)}")
    return 0


def run_pages(app_port: int, bare_port: int, args: argparse.Namespace) -> list[Row]:
    rows, revalidations = [], []
    for page, (path, template) in PAGES.items():
        app_url = f"http://127.0.0.1:{app_port}{path}"
        status, body, headers = get(app_url)
        if status != 200:
            print(f"- skip {page} ({path}): {status}")
            continue
        (TEMPLATES / template).write_text(to_template(body.decode("utf-8")), encoding="utf-8")
        bare_url = f"http://127.0.0.1:{bare_port}/page/{template}"
        if get(bare_url)[0] != 200:
            raise SystemExit(f"the bare app cannot render {template}")
        print(f"- {page} ({path}, {len(body)} bytes) ...", flush=True)
        rows.append(Row(page, "full", path, len(body),
                        *measure((app_url, ""), (bare_url, ""), args)))
        revalidations.append((page, path, app_url, headers.get("ETag", ""), template))
    for page, path, app_url, etag, template in revalidations:
        bare_url = f"http://127.0.0.1:{bare_port}/revalidate/{template}"
        bare_etag = get(bare_url)[2].get("ETag", "")
        statuses = {get(app_url, {"If-None-Match": etag})[0] for _ in range(8)}  # both workers
        if statuses != {304}:
            print(f"- skip {page} revalidation: {sorted(statuses)} for If-None-Match "
                  f"{etag or '(no ETag)'}")
            continue
        if get(bare_url, {"If-None-Match": bare_etag})[0] != 304:
            raise SystemExit(f"the bare app does not answer 304 for {template}")
        print(f"- {page} revalidation (If-None-Match: {etag}) ...", flush=True)
        rows.append(Row(page, "304", path, 0,
                        *measure((app_url, etag), (bare_url, bare_etag), args)))
    return rows


def measure(app: tuple[str, str], bare: tuple[str, str], args: argparse.Namespace
            ) -> tuple[Load, Load]:
    """wrk on the app's URL and the bare twin's, alternating, after a warm-up of each."""
    for url, etag in (app, bare):
        wrk(url, "2s", args.threads, args.connections, etag)  # warm-up
    app_loads, bare_loads = [], []
    for _ in range(max(1, args.rounds)):
        app_loads.append(wrk(app[0], args.duration, args.threads, args.connections, app[1]))
        bare_loads.append(wrk(bare[0], args.duration, args.threads, args.connections, bare[1]))
    return mean_load(app_loads), mean_load(bare_loads)


def mean_load(loads: list[Load]) -> Load:
    """The average of several runs (errors are summed)."""
    n = len(loads)
    return Load(
        sum(x.requests_per_s for x in loads) / n,
        sum(x.median_ms for x in loads) / n,
        sum(x.p99_ms for x in loads) / n,
        sum(x.errors for x in loads),
    )


if __name__ == "__main__":
    sys.exit(main())
