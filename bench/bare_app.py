"""The baseline: a bare Flask app that renders saved snapshots of our pages as Jinja templates.

`gunicorn --chdir bench bare_app:app` serves /page/<name> from bench/templates/<name>.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, render_template

TEMPLATES = Path(__file__).resolve().parent / "templates"
MIMETYPES = {".html": "text/html; charset=utf-8", ".ics": "text/calendar; charset=utf-8"}

app = Flask(__name__, template_folder=str(TEMPLATES))


@app.route("/page/<name>")
def page(name: str):
    """Render one snapshot, with the same kind of context a real page gets."""
    path = TEMPLATES / name
    if path.parent != TEMPLATES or not path.is_file():
        abort(404)
    body = render_template(name, title="Trafficking in Human Beings: The 4Ps Revisited")
    return body, 200, {"Content-Type": MIMETYPES.get(path.suffix, "text/plain")}


@app.route("/healthz")
def healthz():
    return {"status": "ok"}
