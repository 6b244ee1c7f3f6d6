"""Forms of the personal page."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from webinar_app.core.forms import SiteForm
from webinar_app.core.person_form import PersonDetailsForm


class CancelForm(SiteForm):
    """Cancel one module, asked once more: only the 'yes' button cancels."""

    confirm = SubmitField(_l("Yes, cancel my place"))
    keep = SubmitField(_l("Keep my place"))


class DeleteDataForm(SiteForm):
    is_confirmed = BooleanField(
        _l("I understand that my registrations are cancelled, my details erased and my personal "
           "link stops working. This cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my data"))


class MyDetailsForm(PersonDetailsForm):
    """The person's details and their optional consent, on the personal page."""

    has_marketing_consent = BooleanField(
        _l("Tell me about future events of this series' organisers (optional).")
    )
