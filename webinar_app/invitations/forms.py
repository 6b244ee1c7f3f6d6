"""Forms of the invitation pages: import, add by hand, campaigns, sends."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateTimeLocalField,
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
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

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


MARKDOWN_HINT = _l("Markdown: **bold**, *italic*, [text](https://link), lines starting with - "
                   "for a list. The greeting (Dear NAME,) is added for each invitee.")
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _subject(label):
    return StringField(label, filters=[strip_text],
                       validators=[DataRequired(), Length(max=200), no_line_breaks])


def _body(label):
    return TextAreaField(label, validators=[Length(max=5000)])


class CampaignForm(SiteForm):
    """A campaign's subject and Markdown body per language of the series, and its modules.

    `for_languages` keeps only the fields of the series' languages."""

    subject_en = _subject(_l("Subject in English"))
    body_en = _body(_l("Message in English (optional, shown above the programme)"))
    subject_fr = _subject(_l("Subject in French"))
    body_fr = _body(_l("Message in French (optional, shown above the programme)"))
    modules = MultiCheckboxField(_l("Modules (none ticked: every module)"), coerce=int,
                                 validators=[Optional()])
    submit = SubmitField(_l("Save the draft"))

    def for_languages(self, codes: list[str]) -> CampaignForm:
        self.languages = [c for c in codes if c in LANGUAGE_LABELS] or ["en"]
        for code in LANGUAGE_LABELS:
            if code not in self.languages:
                delattr(self, f"subject_{code}")
                delattr(self, f"body_{code}")
        return self

    def language_fields(self) -> list[tuple[str, object, object]]:
        """(language label, subject field, body field) per language, for the template."""
        return [(LANGUAGE_LABELS[c], self[f"subject_{c}"], self[f"body_{c}"])
                for c in self.languages]

    def texts(self) -> dict[str, tuple[str, str]]:
        return {c: (self[f"subject_{c}"].data or "", self[f"body_{c}"].data or "")
                for c in self.languages}

    def fill(self, campaign) -> None:
        for code in self.languages:
            text = campaign.text_in(code)
            if text is not None:
                self[f"subject_{code}"].data = text.subject
                self[f"body_{code}"].data = text.body
        self.modules.data = campaign.numbers


class SegmentForm(PlainForm):
    """Whom to send to (GET, above the confirmation; no CSRF: it changes nothing)."""

    country = StringField(_l("Only this country"), filters=[strip_text],
                          validators=[Optional(), Length(max=100)])
    organisation = StringField(_l("Only this organisation"), filters=[strip_text],
                               validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Only this language"), validators=[Optional()],
                           choices=[SelectChoice("", _l("Any"))] + [
                               SelectChoice(code, label)
                               for code, label in LANGUAGE_LABELS.items()])


class SendForm(SiteForm):
    """The confirmation: the segment shown on the page travels in hidden fields."""

    country = HiddenField(filters=[strip_text], validators=[Optional(), Length(max=100)])
    organisation = HiddenField(filters=[strip_text], validators=[Optional(), Length(max=200)])
    language = HiddenField(validators=[Optional(), AnyOf(["", *LANGUAGE_LABELS])])
    submit = SubmitField(_l("Send now"))


class ScheduleForm(SendForm):
    send_at = DateTimeLocalField(_l("Send on"), format=LOCAL_FORMATS,
                                 validators=[DataRequired(_l("Give a date and a time."))])
    submit = SubmitField(_l("Schedule"))

    def validate_send_at(self, field) -> None:
        if field.data is not None and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_l("Give a date between the years 2000 and 2100."))


class TestSendForm(SiteForm):
    """Send the previewed email to oneself."""

    invitee = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$")])
    language = HiddenField(validators=[Optional(), AnyOf(["", *LANGUAGE_LABELS])])
    submit = SubmitField(_l("Send a test to me"))


class PreviewForm(PlainForm):
    """Whom to preview the campaign as, and in which language (GET)."""

    q = SearchField(_l("Find an invitee"), filters=[strip_text], validators=[Optional()])
    invitee = SelectField(_l("Preview as"), validators=[Optional()], validate_choice=False)
    language = SelectField(_l("Language"), validators=[Optional()], validate_choice=False)


class ActionForm(SiteForm):
    """A button with the CSRF token."""

    submit = SubmitField(_l("Go"))


class InviteeFilterForm(PlainForm):
    """The GET filter above the invitee list (no CSRF: it changes nothing)."""

    q = SearchField(_l("Search name, email or organisation"), filters=[strip_text],
                    validators=[Optional()])
    country = StringField(_l("Country"), filters=[strip_text], validators=[Optional()])
    page = IntegerField(_l("Page"), default=1, validators=[Optional()])
