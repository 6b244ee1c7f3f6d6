"""The person's details form (registration and the personal page), with its fields and checks."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select

from webinar_app.core.forms import SiteForm, strip_text
from webinar_app.core.reference import (
    LANGUAGE_LABELS,
    ORGANISATION_TYPES,
    country_choices,
    organisation_type_choices,
)
from webinar_app.timefmt import canonical_zone, zone_choices


def no_line_breaks(_form, field) -> None:
    """Names go into email headers: no CR or LF."""
    if field.data and ("\r" in field.data or "\n" in field.data):
        raise ValidationError(_l("Use a single line, without line breaks."))


def known_timezone(_form, field) -> None:
    """A zone of the list, or a legacy name of one (stored as the list's name)."""
    zone = canonical_zone(field.data)
    if zone is None:
        raise ValidationError(_l("Choose a time zone from the list."))
    field.data = zone


class ZoneSelect(Select):
    """The zone picker: zone names need no quotes and </option> is optional, which saves a
    third of the ~420 options' bytes on slow connections. A zone is always preselected, so the
    select carries no `required` (HTML wants a required select to open on an empty option)."""

    validation_attrs = ["disabled"]

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or not re.fullmatch(r"[\w/+-]+", str(choice.value)):
            return super().render_option(choice, **kwargs)
        if choice.selected:
            return Markup("<option selected value={}>{}").format(choice.value, choice.label)
        return Markup("<option value={}>{}").format(choice.value, choice.label)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonDetailsForm(SiteForm):
    """What a person may change on their personal page."""

    full_name = StringField(
        _l("Full name"), filters=[strip_text],
        validators=[DataRequired(), Length(max=200), no_line_breaks],
    )
    organisation = StringField(
        _l("Organisation"), filters=[strip_text],
        validators=[DataRequired(), Length(max=200), no_line_breaks],
    )
    organisation_type = SelectField(_l("Type of organisation"), validators=[InputRequired()])
    country = SelectField(_l("Country"), validators=[InputRequired()])
    job_title = StringField(
        _l("Job title (optional)"), filters=[strip_text],
        validators=[Length(max=200), no_line_breaks],
    )
    # every option is a language (none is a placeholder), so the browser's `required` says
    # nothing here and HTML forbids it on such a select; the server still requires a choice
    language = SelectField(_l("Preferred language"), validators=[InputRequired()],
                           render_kw={"required": False})
    timezone = SelectField(
        _l("Your time zone"), validators=[InputRequired(), known_timezone], validate_choice=False,
        widget=ZoneSelect(),
    )
    submit = SubmitField(_l("Save my details"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_type.choices = [("", _l("Choose…"))] + organisation_type_choices()
        self.country.choices = [("", _l("Choose…"))] + country_choices()
        self.language.choices = list(LANGUAGE_LABELS.items())
        self.timezone.data = canonical_zone(self.timezone.data) or self.timezone.data
        self.offer_zones(self.timezone.data)

    def offer_zones(self, *first: str | None) -> None:
        """The zone picker by region, with these zones (the series', the person's) first."""
        self.timezone.choices = zone_choices(list(first))

    def validate_organisation_type(self, field) -> None:
        if field.data not in ORGANISATION_TYPES:
            raise ValidationError(_l("Choose the type of your organisation."))

    def validate_country(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose your country."))

    def details(self) -> dict[str, str]:
        """The cleaned values, ready for update_person_details."""
        return {name: getattr(self, name).data or "" for name in (
            "full_name", "organisation", "organisation_type", "country", "job_title",
            "language", "timezone")}
