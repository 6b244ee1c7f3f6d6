"""Forms of the invitation pages: import, add by hand, campaigns, sends."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from webinar_app.core.forms import PlainForm, SiteForm, email_field_address, strip_text
from webinar_app.core.person_form import MultiCheckboxField, no_line_breaks
from webinar_app.core.reference import LANGUAGE_LABELS


class ImportForm(SiteForm):
    file = FileField(_l("Invitee list (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))])
    submit = SubmitField(_l("Check the list"))


class ImportConfirmForm(SiteForm):
    """Confirms a checked list: the list stays on the server, its id is in the URL."""

    submit = SubmitField(_l("Import the valid rows"))


class InviteeForm(SiteForm):
    full_name = StringField(_l("Full name"), filters=[strip_text],
                            validators=[DataRequired(), Length(max=200), no_line_breaks])
    email = EmailField(_l("Email"), filters=[strip_text],
                       validators=[DataRequired(), Length(max=254)])
    organisation = StringField(_l("Organisation"), filters=[strip_text],
                               validators=[Length(max=200), no_line_breaks])
    country = StringField(_l("Country"), filters=[strip_text],
                          validators=[Length(max=100), no_line_breaks])
    language = SelectField(_l("Language"), choices=[
        SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()])
    submit = SubmitField(_l("Add invitee"))

    def validate_email(self, field) -> None:
        self.normalised_email = email_field_address(field)


class CampaignForm(SiteForm):
    title = StringField(_l("Subject of the email"), filters=[strip_text],
                        validators=[DataRequired(), Length(max=200), no_line_breaks])
    message = TextAreaField(_l("Message (optional, shown above the programme)"),
                            validators=[Length(max=5000)])
    modules = MultiCheckboxField(_l("Modules (none ticked: every module)"), coerce=int,
                                 validators=[Optional()])
    submit = SubmitField(_l("Create campaign"))


class SendForm(SiteForm):
    audience = HiddenField(validators=[AnyOf(["new", "not_registered"])])
    country = StringField(_l("Only this country"), filters=[strip_text],
                          validators=[Optional(), Length(max=100)])
    organisation = StringField(_l("Only this organisation"), filters=[strip_text],
                               validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Only this language"), validators=[Optional()],
                           choices=[SelectChoice("", _l("Any"))] + [
                               SelectChoice(code, label)
                               for code, label in LANGUAGE_LABELS.items()])
    submit = SubmitField(_l("Send"))


class ActionForm(SiteForm):
    """A button with the CSRF token."""

    submit = SubmitField(_l("Go"))


class InviteeFilterForm(PlainForm):
    """The GET filter above the invitee list (no CSRF: it changes nothing)."""

    q = SearchField(_l("Search name, email or organisation"), filters=[strip_text],
                    validators=[Optional()])
    country = StringField(_l("Country"), filters=[strip_text], validators=[Optional()])
    page = IntegerField(_l("Page"), default=1, validators=[Optional()])
