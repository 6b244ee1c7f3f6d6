"""Filter and action forms of the organiser registration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SearchField, SelectField, SubmitField
from wtforms.validators import AnyOf, Optional

from webinar_app.core.forms import PlainForm, SiteForm
from webinar_app.core.reference import country_choices, organisation_type_choices

STATUS_LABELS = {
    "active": _l("Registered and waiting"),
    "registered": _l("Registered"),
    "waiting": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
    "all": _l("All"),
}


class RegistrationFilterForm(PlainForm):
    """The GET form above the list (no CSRF: it changes nothing)."""

    module = SelectField(_l("Module"), validators=[Optional()])
    q = SearchField(_l("Search name, email or organisation"), validators=[Optional()])
    status = SelectField(_l("Status"), default="active", validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])
    organisation_type = SelectField(_l("Type of organisation"), validators=[Optional()])
    page = IntegerField(_l("Page"), default=1, validators=[Optional()])

    def __init__(self, formdata, modules, **kwargs):
        super().__init__(formdata, **kwargs)
        self.module.choices = [("", _l("All modules"))] + [
            (str(m.number), f"{m.number}. {m.title}") for m in modules
        ]
        self.status.choices = list(STATUS_LABELS.items())
        self.country.choices = [("", _l("All countries"))] + country_choices()
        self.organisation_type.choices = [("", _l("All types"))] + organisation_type_choices()


class MoveForm(SiteForm):
    to = HiddenField(validators=[AnyOf(["registered", "waiting"])])
    next = HiddenField()


class ActionForm(SiteForm):
    """A button that carries the CSRF token and where to go back to."""

    next = HiddenField()
    submit = SubmitField(_l("Go"))
