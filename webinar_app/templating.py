"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, url_for
from flask_babel import get_locale
from jinja2 import Template

from webinar_app import timefmt
from webinar_app.core.text import typeset
from webinar_app.i18n import current_language, localized, text_direction


@cache
def _static_version(root: str, filename: str) -> str:
    path = Path(root) / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so it can be cached for a year."""
    version = _static_version(current_app.static_folder or "", filename)
    return url_for("static", filename=filename, v=version)


def _language_context() -> dict[str, str]:
    """The page's language and its writing direction (for <html lang dir>)."""
    locale = str(get_locale() or "en")
    return {"current_locale": locale, "text_dir": text_direction(locale.split("_")[0])}


class TypesetTemplate(Template):
    """A template whose output follows the typography of the language it is rendered in:
    French pages, email bodies and documents get `core.text.french_spacing` (HTML-aware for
    every template but the plain-text ones), so no template or translation spaces by hand."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        output = super().render(*args, **kwargs)
        is_html = not (self.name or "").endswith(".txt")
        return typeset(output, current_language(), html=is_html)


def init_templating(app: Flask) -> None:
    """Register filters and globals."""
    app.jinja_env.template_class = TypesetTemplate
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.filters["in_zone_date"] = timefmt.fmt_date
    app.jinja_env.filters["in_zone_time"] = timefmt.fmt_time
    app.jinja_env.filters["in_zone"] = timefmt.fmt_datetime
    app.jinja_env.filters["in_zone_short"] = timefmt.fmt_short
    app.jinja_env.filters["utc_offset"] = timefmt.utc_offset
    app.jinja_env.filters["city"] = timefmt.city_name
    app.jinja_env.filters["human_size"] = timefmt.human_size
    app.jinja_env.filters["localized"] = localized
    app.context_processor(_language_context)
    app.jinja_env.filters["iso"] = (  # whole seconds: HTML allows at most 3 decimals
        lambda dt: dt.isoformat(timespec="seconds") if isinstance(dt, datetime) else ""
    )
