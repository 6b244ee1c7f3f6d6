"""Forms of the attendance pages: the report upload and the per-registration correction."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from webinar_app.core.forms import SiteForm


class AttendanceUploadForm(SiteForm):
    file = FileField(
        _l("Attendance report (CSV from Zoom, Microsoft Teams or Webex)"),
        validators=[FileRequired(_l("Choose the attendance report file."))],
    )
    min_minutes = IntegerField(
        _l("Minimum minutes to count as attended"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=1440, message=_l("Give a number of minutes from 0 to 1440.")),
        ],
    )
    submit = SubmitField(_l("Import attendance"))


class MarkForm(SiteForm):
    """One button of the correction list: attended, absent or not recorded."""

    value = HiddenField(validators=[AnyOf(["attended", "absent", ""])])


class ConfirmImportForm(SiteForm):
    """The answer to a re-import's preview: apply the changes shown, or keep what is recorded."""

    upload_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    digest = HiddenField(validators=[InputRequired()])
    confirm = SubmitField(_l("Apply these changes"))
    discard = SubmitField(_l("Cancel and keep the recorded attendance"))
