"""The registration form and the lost-link form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from webinar_app.core.forms import SiteForm, email_field_address, strip_text
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
        self.normalised_email = email_field_address(field)

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
        email_field_address(field)
