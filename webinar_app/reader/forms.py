"""The organiser's request to build the Reader in one language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField

from webinar_app.core.forms import SiteForm


class BuildForm(SiteForm):
    """Which Reader to build; empty means the organiser's own language."""

    language = SelectField(
        _l("Language of the Reader"),
        choices=[SelectChoice("", _l("My language")), SelectChoice("en", _l("English")),
                 SelectChoice("fr", _l("French"))],
        default="",
        validate_choice=True,
    )
