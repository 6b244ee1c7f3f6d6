"""The outbox pages' forms."""

from __future__ import annotations

from webinar_app.core.forms import SiteForm


class ClearMarkForm(SiteForm):
    """Clear an undeliverable mark (the button; the mark is in the URL)."""
