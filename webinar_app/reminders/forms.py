"""The reminders page's forms: the series' offsets, and one reminder switched on or off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from webinar_app.core.forms import SiteForm
from webinar_app.reminders.services import ReminderError, parse_offsets_text


class OffsetsForm(SiteForm):
    offsets = StringField(_l("Reminders before each module"),
                          validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Save the reminders"))

    def validate_offsets(self, field) -> None:
        try:
            parse_offsets_text(field.data or "")
        except ReminderError as exc:
            raise ValidationError(_l(
                "Write times before the start separated by commas, each a number with d "
                "(days), h (hours) or m (minutes), at most 60 days, like 7d, 1d, 1h.")) from exc


class SwitchForm(SiteForm):
    enabled = HiddenField(validators=[AnyOf(["on", "off"])])
    submit = SubmitField(_l("Switch"))
