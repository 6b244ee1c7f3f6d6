"""The follow-up form: the recording link, then send."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, URLField
from wtforms.validators import Length, Optional, ValidationError

from webinar_app.core.forms import SiteForm, strip_text


class FollowupForm(SiteForm):
    recording_url = URLField(_l("Recording link (optional)"),
                             filters=[strip_text],
                             validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save and send the follow-up"))

    def validate_recording_url(self, field) -> None:
        value = field.data or ""
        if not value.startswith("https://") or any(c in value for c in " \r\n\"<>"):
            raise ValidationError(_l("Enter a https:// address, like https://example.org/video."))
