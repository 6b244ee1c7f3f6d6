"""The registration form and the person's details form, with their choice lists."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select

from webinar_app.core.forms import SiteForm
from webinar_app.core.text import sort_for_people
from webinar_app.registration.services import (
    ORGANISATION_TYPES,
    InvalidEmail,
    normalise_email,
)
from webinar_app.timefmt import canonical_zone, zone_choices

ORGANISATION_TYPE_LABELS = {
    "government": _l("Member-state government"),
    "regional-body": _l("Regional body"),
    "international-organisation": _l("International organisation"),
    "ngo": _l("NGO or civil society"),
    "academia": _l("Academia"),
    "other": _l("Other"),
}
LANGUAGE_LABELS = {"en": "English", "fr": "Français"}
# Babel territories that are not ISO 3166-1 countries (XK, Kosovo, is kept: it is in common use).
_NOT_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB",
                  "ZZ"}


@cache
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES]
    return tuple(sort_for_people(((c, names[c]) for c in codes), key=lambda item: item[1],
                                 locale=locale))


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries, named in the page's language."""
    return list(_countries(str(get_locale() or "en")))


def country_name(code: str) -> str:
    """The country's name in the page's language ('' when unknown)."""
    return dict(_countries(str(get_locale() or "en"))).get(code, code)


def organisation_type_choices() -> list[tuple[str, str]]:
    """The types in the reader's alphabetical order, "Other" last."""
    named = [(code, str(ORGANISATION_TYPE_LABELS[code])) for code in ORGANISATION_TYPES]
    others = [item for item in named if item[0] == "other"]
    return sort_for_people([i for i in named if i not in others], key=lambda i: i[1]) + others


def organisation_type_label(code: str) -> str:
    return str(ORGANISATION_TYPE_LABELS.get(code, code))


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


def _strip(value):
    return value.strip() if isinstance(value, str) else value


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
        _l("Full name"), filters=[_strip],
        validators=[DataRequired(), Length(max=200), no_line_breaks],
    )
    organisation = StringField(
        _l("Organisation"), filters=[_strip],
        validators=[DataRequired(), Length(max=200), no_line_breaks],
    )
    organisation_type = SelectField(_l("Type of organisation"), validators=[InputRequired()])
    country = SelectField(_l("Country"), validators=[InputRequired()])
    job_title = StringField(
        _l("Job title (optional)"), filters=[_strip],
        validators=[Length(max=200), no_line_breaks],
    )
    language = SelectField(_l("Preferred language"), validators=[InputRequired()])
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


class RegistrationForm(PersonDetailsForm):
    """One form for one, several or all modules of a series."""

    email = EmailField(
        _l("Email"), filters=[_strip], validators=[DataRequired(), Length(max=254)]
    )
    modules = MultiCheckboxField(_l("Modules"), coerce=int)
    has_data_consent = BooleanField(
        _l("I agree that the organisers store and use these details to manage my registration, "
           "send me the invitations, reminders and follow-up of the modules I choose, and count "
           "participation anonymously. I can export or delete my data at any time through my "
           "personal link."),
    )
    has_marketing_consent = BooleanField(
        _l("Tell me about future events of this series' organisers (optional).")
    )
    submit = SubmitField(_l("Register"))

    field_order = ("full_name", "email", "organisation", "organisation_type", "country",
                   "job_title", "language", "timezone")

    def validate_email(self, field) -> None:
        try:
            self.normalised_email = normalise_email(field.data or "")
        except InvalidEmail as exc:
            message = _l("Enter a valid email address, like name@example.org.")
            raise ValidationError(message) from exc

    def validate_modules(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one module."))

    def validate_has_data_consent(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("We need your agreement to register you."))


class LostLinkForm(SiteForm):
    """"Lost your personal link?": the address the link should go to."""

    email = EmailField(
        _l("Email address you registered with"), filters=[_strip],
        validators=[DataRequired(), Length(max=254)],
    )
    submit = SubmitField(_l("Email me my personal link"))

    def validate_email(self, field) -> None:
        try:
            normalise_email(field.data or "")
        except InvalidEmail as exc:
            message = _l("Enter a valid email address, like name@example.org.")
            raise ValidationError(message) from exc


CLOSED_REASON_LABELS = {
    "not_open": _l("Registration has not opened yet."),
    "closed": _l("Registration has closed."),
    "started": _l("The module has already started."),
    "cancelled": _l("The module was cancelled."),
    "held": _l("The module has already taken place."),
    "draft": _l("The module is not yet scheduled."),
}


def closed_reason_label(reason: str | None) -> str:
    return str(CLOSED_REASON_LABELS.get(reason or "", ""))
