"""Forms of the summary pages: the draft with its good practices, review actions, comparison."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from webinar_app.core.forms import PlainForm, SiteForm, strip_text
from webinar_app.core.reference import country_choices
from webinar_app.summaries.services import COMMENT_MAX_LENGTH, GoodPracticeData, SummaryData

BLANK_PRACTICE_ROWS = 2
BODY_MAX_LENGTH = 50_000


class PracticeForm(PlainForm):
    """One good practice; a row left entirely empty is ignored."""

    title = StringField(_l("Title"), filters=[strip_text], validators=[Length(max=300)])
    presenter_organisation = StringField(
        _l("Presenting organisation"), filters=[strip_text], validators=[Length(max=200)]
    )
    presenter_name = StringField(
        _l("Presenter"), filters=[strip_text], validators=[Length(max=200)]
    )
    country = SelectField(_l("Country"), validate_choice=True)
    pillar = StringField(_l("Pillar"), filters=[strip_text], validators=[Length(max=100)])
    description = TextAreaField(
        _l("Short description"), filters=[strip_text], validators=[Length(max=5000)]
    )
    is_covid_adaptation = BooleanField(_l("A COVID-19 adaptation"))
    remove = BooleanField(_l("Remove this practice"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("(none)")), *country_choices()]

    @property
    def is_blank(self) -> bool:
        texts = (self.title, self.presenter_organisation, self.presenter_name, self.description)
        return not any(f.data for f in texts) and not self.country.data

    def validate_title(self, field) -> None:
        if not field.data and not self.is_blank and not self.remove.data:
            raise ValidationError(_l("Give this practice a title, or empty the row."))

    def practice(self) -> GoodPracticeData:
        return GoodPracticeData(
            title=self.title.data or "",
            presenter_organisation=self.presenter_organisation.data or "",
            presenter_name=self.presenter_name.data or "",
            country=self.country.data or "",
            pillar=self.pillar.data or "",
            description=self.description.data or "",
            is_covid_adaptation=bool(self.is_covid_adaptation.data),
        )


class SummaryForm(SiteForm):
    body_markdown = TextAreaField(
        _l("Summary (Markdown)"), filters=[strip_text], validators=[Length(max=BODY_MAX_LENGTH)]
    )
    key_takeaways = TextAreaField(
        _l("Key takeaways, one per line"), filters=[strip_text], validators=[Length(max=10_000)]
    )
    body_markdown_fr = TextAreaField(
        _l("Summary in French (Markdown, optional)"), filters=[strip_text],
        validators=[Length(max=BODY_MAX_LENGTH)],
    )
    key_takeaways_fr = TextAreaField(
        _l("Key takeaways in French, one per line"), filters=[strip_text],
        validators=[Length(max=10_000)],
    )
    attendance_figure = IntegerField(
        _l("Attendance"), validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    practices = FieldList(FormField(PracticeForm), label=_l("Good practices"))
    submit = SubmitField(_l("Save draft"))

    def summary_data(self) -> SummaryData:
        kept = [
            entry.form.practice()
            for entry in self.practices
            if not entry.form.is_blank and not entry.form.remove.data
        ]
        return SummaryData(
            body_markdown=self.body_markdown.data or "",
            key_takeaways=self.key_takeaways.data or "",
            body_markdown_fr=self.body_markdown_fr.data or "",
            key_takeaways_fr=self.key_takeaways_fr.data or "",
            attendance_figure=self.attendance_figure.data,
            good_practices=kept,
        )


class ActionForm(SiteForm):
    """A button that changes the state (submit, reopen): only the CSRF token."""


class SendBackForm(SiteForm):
    reason = TextAreaField(
        _l("What should change"),
        filters=[strip_text],
        validators=[DataRequired(_l("Say what should change.")),
                    Length(max=COMMENT_MAX_LENGTH)],
    )
    send_back = SubmitField(_l("Send back to the organisers"))


class ApproveForm(SiteForm):
    approval_note = TextAreaField(
        _l("Comment (optional)"), filters=[strip_text], validators=[Length(max=COMMENT_MAX_LENGTH)]
    )
    approve = SubmitField(_l("Approve"))


class PublishForm(SiteForm):
    """Publish an approved summary: its follow-ups go now, or wait until released."""

    send_now = SubmitField(_l("Publish and send the follow-ups now"))
    hold = SubmitField(_l("Publish and hold the follow-ups"))

    @property
    def is_holding(self) -> bool:
        return bool(self.hold.data) and not self.send_now.data


class CommentForm(SiteForm):
    comment = TextAreaField(
        _l("Comment"),
        filters=[strip_text],
        validators=[DataRequired(_l("Write a comment.")), Length(max=COMMENT_MAX_LENGTH)],
    )
    add_comment = SubmitField(_l("Add comment"))


class CompareForm(SiteForm):
    """Two revision numbers to compare (a GET form)."""

    class Meta:
        csrf = False

    old = SelectField(_l("Older revision"), coerce=int, validate_choice=True)
    new = SelectField(_l("Newer revision"), coerce=int, validate_choice=True)
    view = RadioField(
        _l("Show"),
        choices=[
            SelectChoice("inline", _l("Changes in the text")),
            SelectChoice("side", _l("Side by side")),
        ],
        default="inline",
        validate_choice=True,
    )
    submit = SubmitField(_l("Compare"))
