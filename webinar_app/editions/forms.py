"""The new-edition form: names, the first start, notes, and a start per module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webinar_app.core.forms import SiteForm
from webinar_app.editions.services import MAX_YEAR, MIN_YEAR
from webinar_app.models import Series

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def plausible_year(_form, field) -> None:
    """Refuse dates far outside any real schedule."""
    if field.data is not None and not MIN_YEAR <= field.data.year <= MAX_YEAR:
        raise ValidationError(_l("Give a date between the years 2000 and 2100."))


def module_field_name(number: int) -> str:
    """The name of the start field of module `number`."""
    return f"module_{number}"


class EditionForm(SiteForm):
    title = StringField(
        _l("Title of the new edition"), validators=[DataRequired(), Length(max=200)]
    )
    title_fr = StringField(_l("Title in French"), validators=[Length(max=200)])
    slug = StringField(_l("Slug (web address)"), validators=[DataRequired(), Length(max=80)])
    first_starts_at = DateTimeLocalField(
        _l("Start of the first module"),
        format=LOCAL_FORMATS,
        validators=[Optional(), plausible_year],
    )
    with_notes = BooleanField(_l("Copy the pre-reading notes, with their files and abstracts"))
    planned_from = HiddenField()
    compute = SubmitField(_l("Compute the dates from the first start"))
    submit = SubmitField(_l("Create the new edition"))


def edition_form_class(source: Series) -> type[EditionForm]:
    """EditionForm with one optional start field per module of source."""
    fields = {
        module_field_name(module.number): DateTimeLocalField(
            _l("Module %(number)s: %(title)s", number=module.number, title=module.title),
            format=LOCAL_FORMATS,
            validators=[Optional(), plausible_year],
        )
        for module in source.modules
    }
    return type("SourceEditionForm", (EditionForm,), fields)
