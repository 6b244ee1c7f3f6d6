"""Base classes of every form: no control character gets in, no number beyond the database.

Every form of the application inherits from `SiteForm` (a FlaskForm, with CSRF) or, for the
plain GET filter forms and the sub-forms of a FieldList, from `PlainForm`. Both put two checks
in front of each field's own validators, so a new form gets them for free:

- text (string data, or a list of strings): no control character (`core.text`); a text area
  may hold TAB, CR and LF, a one-line field none of them, nor U+2028/U+2029;
- whole numbers (IntegerField): within the range of the database's INTEGER columns.

The message lands next to the field and validation of that field stops there.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, Form, FormField, IntegerField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextArea

from webinar_app.core.addresses import InvalidEmail, normalise_email
from webinar_app.core.text import char_name, has_line_break, refused_chars
from webinar_app.core.urls import DB_INT_MAX, DB_INT_MIN

Validator = Callable[[object, Field], None]


def is_multiline(field: Field) -> bool:
    """Whether the field is a text area (may hold line breaks and tabs)."""
    return isinstance(field.widget, TextArea)


def _texts(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list | tuple):
        return [item for item in data if isinstance(item, str)]
    return []


def refuse_control_chars(_form, field: Field) -> None:
    """Stop at a control character (or a line break in a one-line field), naming it."""
    multiline = is_multiline(field)
    for text in _texts(field.data):
        if not multiline and has_line_break(text):
            raise StopValidation(_l("Use a single line, without line breaks."))
        refused = refused_chars(text, multiline)
        if refused:
            raise StopValidation(
                _l(
                    "Remove the invisible control character %(char)s: it cannot be stored.",
                    char=", ".join(char_name(c) for c in refused[:3]),
                )
            )


def refuse_out_of_range(_form, field: Field) -> None:
    """Stop at a whole number the database cannot store."""
    if not isinstance(field.data, int):
        return
    if field.data > DB_INT_MAX:
        raise StopValidation(
            _l("Give a smaller number (at most %(max)s).", max=format_number(DB_INT_MAX))
        )
    if field.data < DB_INT_MIN:
        raise StopValidation(
            _l("Give a larger number (at least %(min)s).", min=format_number(DB_INT_MIN))
        )


def _guards(field: Field) -> list[Validator]:
    if isinstance(field, IntegerField):
        return [refuse_out_of_range]
    return [refuse_control_chars]


def guard_fields(form: Form) -> None:
    """Put the character and range checks in front of every field of form (sub-forms too)."""
    for field in form:
        _guard(field)


def _guard(field: Field) -> None:
    if isinstance(field, FormField):
        if not isinstance(field.form, PlainForm | SiteForm):
            guard_fields(field.form)
        return
    if isinstance(field, FieldList):
        for entry in field.entries:
            _guard(entry)
        return
    field.validators = [*_guards(field), *field.validators]


class _NoHiddenIds:
    """Hidden fields render without an id: a page may hold the same form many times (one per
    row), and an id there would be duplicated (invalid HTML) while no label points at it."""

    def render_field(self, field: Field, render_kw: dict) -> str:
        if getattr(field.widget, "input_type", None) == "hidden":
            render_kw = {"id": False, **render_kw}
        return super().render_field(field, render_kw)


class SiteForm(FlaskForm):
    """A form with CSRF whose fields refuse control characters and out-of-range numbers."""

    class Meta(_NoHiddenIds, FlaskForm.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        guard_fields(self)


class PlainForm(Form):
    """A form without CSRF (GET filters, FieldList sub-forms), with the same field checks."""

    class Meta(_NoHiddenIds, Form.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        guard_fields(self)


def strip_text(value):
    """A filter: text without surrounding white space."""
    return value.strip() if isinstance(value, str) else value


def email_field_address(field: Field) -> str:
    """The field's address normalised (core.addresses), or the error shown next to the field."""
    try:
        return normalise_email(field.data or "")
    except InvalidEmail as exc:
        raise ValidationError(_l("Enter a valid email address, like name@example.org.")) from exc
