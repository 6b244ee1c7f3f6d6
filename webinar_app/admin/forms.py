"""Forms of the organiser pages; rules across records live in schedule.services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from webinar_app.core.forms import SiteForm
from webinar_app.models import ABSTRACT_MAX_LENGTH, AgendaKind, ModuleStatus
from webinar_app.privacy.services import MAX_RETENTION_DAYS

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class AdminForm(SiteForm):
    """Base of the organiser forms (control characters are refused by SiteForm)."""


def plausible_year(_form, field) -> None:
    """Refuse dates far outside any real schedule (they cannot be converted between zones)."""
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Give a date between the years 2000 and 2100."))


NOTE_LANGUAGES = [
    SelectChoice("en", _l("English")),
    SelectChoice("fr", _l("French")),
    SelectChoice("ar", _l("Arabic")),
    SelectChoice("es", _l("Spanish")),
    SelectChoice("pt", _l("Portuguese")),
]


class SeriesForm(AdminForm):
    slug = StringField(_l("Slug (web address)"), validators=[DataRequired(), Length(max=80)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    short_description = StringField(_l("Short description"), validators=[Length(max=500)])
    description = TextAreaField(_l("Description"))
    title_fr = StringField(_l("Title in French"), validators=[Length(max=200)])
    short_description_fr = StringField(
        _l("Short description in French"), validators=[Length(max=500)]
    )
    description_fr = TextAreaField(_l("Description in French"))
    organiser = StringField(_l("Organiser"), validators=[Length(max=200)])
    chair = StringField(_l("Chair"), validators=[Length(max=200)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    languages = StringField(_l("Languages offered"), validators=[Length(max=40)], default="en")
    sender_email = StringField(_l("Sender email address"), validators=[Length(max=254)])
    sender_name = StringField(_l("Sender name"), validators=[Length(max=200)])
    retention_days = IntegerField(
        _l("Keep personal data for (days after the last module)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_RETENTION_DAYS, message=_l(
                "Give a number of days from 1 to 3650, or leave the field empty for the "
                "site's default.")),
        ],
    )
    submit = SubmitField(_l("Save series"))


class ModuleForm(AdminForm):
    number = IntegerField(_l("Number"), validators=[InputRequired()])
    pillar = StringField(_l("Pillar or theme"), validators=[Length(max=100)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    thematic_focus = StringField(_l("Thematic focus"), validators=[Length(max=300)])
    description = TextAreaField(_l("Description"))
    title_fr = StringField(_l("Title in French"), validators=[Length(max=200)])
    pillar_fr = StringField(_l("Pillar or theme in French"), validators=[Length(max=100)])
    thematic_focus_fr = StringField(_l("Thematic focus in French"), validators=[Length(max=300)])
    description_fr = TextAreaField(_l("Description in French"))
    starts_at = DateTimeLocalField(
        _l("Start"), format=LOCAL_FORMATS, validators=[Optional(), plausible_year]
    )
    duration_minutes = IntegerField(
        _l("Duration in minutes"), default=120, validators=[InputRequired()]
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(ModuleStatus.DRAFT.value, _l("Draft (not shown publicly)")),
            SelectChoice(ModuleStatus.SCHEDULED.value, _l("Scheduled")),
        ],
        default=ModuleStatus.DRAFT.value,
    )
    capacity = IntegerField(_l("Capacity (seats)"), validators=[Optional()])
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=LOCAL_FORMATS, validators=[Optional(), plausible_year]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"), format=LOCAL_FORMATS, validators=[Optional(), plausible_year]
    )
    join_url = StringField(_l("Join link (Zoom, Teams, Webex)"), validators=[Length(max=500)])
    is_chatham_house = BooleanField(_l("Chatham House rule (hide speaker names publicly)"))
    submit = SubmitField(_l("Save module"))


class RescheduleForm(AdminForm):
    starts_at = DateTimeLocalField(
        _l("New start"), format=LOCAL_FORMATS, validators=[InputRequired(), plausible_year]
    )
    duration_minutes = IntegerField(_l("Duration in minutes"), validators=[InputRequired()])
    submit = SubmitField(_l("Reschedule and notify registrants"))


class ConfirmForm(AdminForm):
    """A button with CSRF protection, for actions that need no input."""

    submit = SubmitField(_l("Confirm"))


class AgendaItemForm(AdminForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    title_fr = StringField(_l("Title in French"), validators=[Length(max=300)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice(AgendaKind.OPENING.value, _l("Opening")),
            SelectChoice(AgendaKind.KEYNOTE.value, _l("Keynote")),
            SelectChoice(AgendaKind.PANEL.value, _l("Panel")),
            SelectChoice(AgendaKind.DISCUSSION.value, _l("Discussion")),
            SelectChoice(AgendaKind.CLOSING.value, _l("Closing")),
        ],
        default=AgendaKind.PANEL.value,
    )
    start_offset_minutes = IntegerField(
        _l("Starts after (minutes from the module start)"), default=0, validators=[Optional()]
    )
    speakers = TextAreaField(_l("Speakers"))
    submit = SubmitField(_l("Save agenda item"))


class NoteForm(AdminForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    language = SelectField(_l("Language"), choices=NOTE_LANGUAGES, default="en")
    abstract = TextAreaField(_l("Abstract (plain text)"))
    title_fr = StringField(_l("Title in French"), validators=[Length(max=300)])
    abstract_fr = TextAreaField(_l("Abstract in French (plain text)"))
    file = FileField(_l("PDF file"))
    external_url = StringField(_l("Or an external link"), validators=[Length(max=500)])
    is_published = BooleanField(_l("Published (visible to the public)"), default=True)
    is_prereading = BooleanField(_l("Pre-reading for the module"), default=True)
    submit = SubmitField(_l("Save note"))

    abstract_max = ABSTRACT_MAX_LENGTH
