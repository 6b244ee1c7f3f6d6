"""The baseline: a bare Flask app that renders saved snapshots of our pages as Jinja templates.

`gunicorn --chdir bench bare_app:app` serves /page/<name> from bench/templates/<name>, and
/revalidate/<name>: the snapshot rendered once and kept, with its ETag, answered through
Werkzeug's `make_conditional` (a 304 to a matching If-None-Match): Flask's cheapest 304.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, render_template, request

TEMPLATES = Path(__file__).resolve().parent / "templates"
MIMETYPES = {".html": "text/html; charset=utf-8", ".ics": "text/calendar; charset=utf-8",
             ".json": "application/json"}

app = Flask(__name__, template_folder=str(TEMPLATES))
_rendered: dict[str, Response] = {}


@app.route("/page/<name>")
def page(name: str):
    """Render one snapshot, with the same kind of context a real page gets."""
    path = TEMPLATES / name
    if path.parent != TEMPLATES or not path.is_file():
        abort(404)
    body = render_template(name, title="Trafficking in Human Beings: The 4Ps Revisited")
    return body, 200, {"Content-Type": MIMETYPES.get(path.suffix, "text/plain")}


@app.route("/revalidate/<name>")
def revalidate(name: str):
    """The snapshot from memory with its ETag: 304 when If-None-Match matches."""
    if name not in _rendered:
        body, status, headers = page(name)
        _rendered[name] = Response(body, status, headers)
        _rendered[name].add_etag()
    kept = _rendered[name]
    response = Response(kept.get_data(), headers=kept.headers)
    return response.make_conditional(request)


@app.route("/healthz")
def healthz():
    return {"status": "ok"}
