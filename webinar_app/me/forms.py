"""Forms of the personal page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired


class CancelForm(FlaskForm):
    """Cancel one module: the button carries the CSRF token."""

    submit = SubmitField(_l("Cancel my place"))


class DeleteDataForm(FlaskForm):
    is_confirmed = BooleanField(
        _l("I understand that my registrations are cancelled, my details erased and my personal "
           "link stops working. This cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my data"))
