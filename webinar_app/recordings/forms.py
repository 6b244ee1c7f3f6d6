"""The recording and slides form, and the confirmation that emails the links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, URLField
from wtforms.validators import Length, Optional, ValidationError

from webinar_app.core.forms import SiteForm

FORBIDDEN_IN_LINKS = " \t\r\n\"'<>\\"


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def check_web_address(form: SiteForm, field) -> None:
    """An http:// or https:// address with a host, and nothing that could break out of a link."""
    value = field.data or ""
    parts = urlsplit(value) if not any(c in value for c in FORBIDDEN_IN_LINKS) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(_l("Enter a web address starting with https:// or http://, "
                                 "like https://example.org/video."))


class RecordingForm(SiteForm):
    recording_url = URLField(_l("Recording link"), filters=[_strip],
                             validators=[Optional(), Length(max=500), check_web_address])
    slides_url = URLField(_l("Slides link (optional)"), filters=[_strip],
                          validators=[Optional(), Length(max=500), check_web_address])
    submit = SubmitField(_l("Save the links"))


class RecordingEmailForm(SiteForm):
    links = HiddenField()
    submit = SubmitField(_l("Send the emails"))
