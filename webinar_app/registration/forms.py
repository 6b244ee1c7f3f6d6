"""The registration form and the lost-link form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from webinar_app.core.addresses import InvalidEmail, normalise_email
from webinar_app.core.forms import SiteForm, strip_text
from webinar_app.core.person_form import MultiCheckboxField, PersonDetailsForm


class RegistrationForm(PersonDetailsForm):
    """One form for one, several or all modules of a series."""

    email = EmailField(
        _l("Email"), filters=[strip_text], validators=[DataRequired(), Length(max=254)]
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
        _l("Email address you registered with"), filters=[strip_text],
        validators=[DataRequired(), Length(max=254)],
    )
    submit = SubmitField(_l("Email me my personal link"))

    def validate_email(self, field) -> None:
        try:
            normalise_email(field.data or "")
        except InvalidEmail as exc:
            message = _l("Enter a valid email address, like name@example.org.")
            raise ValidationError(message) from exc
