"""The catalogue's filter form: a plain GET form, every field labelled."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField

from webinar_app.core.forms import SiteForm
from webinar_app.good_practices.services import Catalogue, PracticeFilter


class PracticeFilterForm(SiteForm):
    class Meta:
        csrf = False

    pillar = SelectField(_l("Pillar"))
    country = SelectField(_l("Country"))
    organisation = SelectField(_l("Organisation"))
    covid = SelectField(_l("COVID-19 adaptation"))
    submit = SubmitField(_l("Filter"))

    def offer(self, catalogue: Catalogue, wanted: PracticeFilter) -> None:
        """Offer the values present in the catalogue, and show the filter that is applied."""
        any_ = ("", _l("Any"))
        self.pillar.choices = _with([any_, *((p, p) for p in catalogue.pillars)], wanted.pillar)
        self.country.choices = _with([any_, *catalogue.countries], wanted.country)
        self.organisation.choices = _with(
            [any_, *((o, o) for o in catalogue.organisations)], wanted.organisation
        )
        self.covid.choices = [any_, ("yes", _l("Only COVID-19 adaptations")),
                              ("no", _l("Only other practices"))]
        for name, value in wanted.as_dict().items():
            getattr(self, name).data = value


def _with(choices: list, value: str) -> list:
    """The choices, plus `value` if it is set and not among them (a link from elsewhere)."""
    if value and value not in (code for code, _label in choices):
        return [*choices, (value, value)]
    return choices


def practice_filter(args) -> PracticeFilter:
    """The filter in a query string; unknown COVID values mean 'any', texts are trimmed."""
    covid = (args.get("covid") or "").strip().lower()
    return PracticeFilter(
        pillar=(args.get("pillar") or "").strip()[:100],
        country=(args.get("country") or "").strip().upper()[:2],
        organisation=(args.get("organisation") or "").strip()[:200],
        covid=covid if covid in ("yes", "no") else "",
    )
