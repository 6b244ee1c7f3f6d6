"""Login, password change and account access forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from webinar_app.auth.services import PASSWORD_MIN_LENGTH
from webinar_app.core.forms import SiteForm


class LoginForm(SiteForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class NewPasswordForm(SiteForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=200,
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
    )
    new_password_again = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
    )
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(NewPasswordForm):
    """A new password for the logged-in account, behind its current one."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )
    submit = SubmitField(_l("Change password"))


class PersonalDataAccessForm(SiteForm):
    can_see_personal_data = BooleanField(_l("May see personal data"))
    submit = SubmitField(_l("Save"))


class ForgotPasswordForm(SiteForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Email me a link"))


ROLE_CHOICES = [
    SelectChoice("admin", _l("Admin of the whole site")),
    SelectChoice("organiser", _l("Organiser of every series")),
    SelectChoice("reviewer", _l("Reviewer of every series")),
    SelectChoice("series:organiser", _l("Organiser of one series (choose it below)")),
    SelectChoice("series:reviewer", _l("Reviewer of one series (choose it below)")),
]


class InviteForm(SiteForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="series:reviewer")
    series = SelectField(_l("Series"), choices=[], validate_choice=False)
    confirm = HiddenField()
    submit = SubmitField(_l("Continue"))

    def validate_series(self, field) -> None:
        """A per-series role needs a series; a global role takes none."""
        if self.role.data.startswith("series:"):
            valid = {choice.value for choice in field.choices if choice.value}
            if field.data not in valid:
                raise ValidationError(_l("Choose the series of this role."))

    def chosen(self) -> tuple[str, str | None]:
        """(role, series slug or None) as chosen."""
        if self.role.data.startswith("series:"):
            return self.role.data.split(":", 1)[1], self.series.data
        return self.role.data, None


class GlobalRoleForm(SiteForm):
    role = SelectField(_l("Role on the whole site"), choices=[
        SelectChoice("admin", _l("Admin")),
        SelectChoice("organiser", _l("Organiser of every series")),
        SelectChoice("reviewer", _l("Reviewer of every series")),
        SelectChoice("none", _l("None: only the series listed below")),
    ])
    submit = SubmitField(_l("Change role"))


class SeriesRoleForm(SiteForm):
    series = SelectField(_l("Series"), choices=[], validate_choice=True)
    role = SelectField(_l("Role in this series"), choices=[
        SelectChoice("organiser", _l("Organiser")),
        SelectChoice("reviewer", _l("Reviewer")),
        SelectChoice("none", _l("None (take the role away)")),
    ])
    submit = SubmitField(_l("Save series role"))


class ConfirmForm(SiteForm):
    """A button that only needs CSRF."""

    submit = SubmitField(_l("Confirm"))
