"""How people on a module's programme are named in anything sent or published.

Under the Chatham House rule (``Module.is_chatham_house``) a module's speakers and the presenters
of its good practices are named by role and organisation only. Every output that leaves the
organisers' pages (calendar files, emails, public pages, the API, exports, the Reader) names
them through this module and nowhere else; organiser pages may read the model directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from webinar_app.models import AgendaItem, GoodPractice, Module, Speaker


@dataclass(frozen=True, slots=True)
class SpeakerCredit:
    """A speaker as outputs show them: ``name`` is empty when it must not be published."""

    name: str
    role: str
    organisation: str

    @property
    def label(self) -> str:
        """'Name, Role, Organisation' without the empty parts."""
        return ", ".join(part for part in (self.name, self.role, self.organisation) if part)


def hides_names(module: Module) -> bool:
    """Whether outputs about the module must not name people (the Chatham House rule)."""
    return bool(module.is_chatham_house)


def speaker_credit(speaker: Speaker, module: Module) -> SpeakerCredit:
    """The speaker as outputs name them: role and organisation only under the rule."""
    return SpeakerCredit(
        name="" if hides_names(module) else speaker.name.strip(),
        role=speaker.role.strip(),
        organisation=speaker.organisation.strip(),
    )


def speaker_credits(item: AgendaItem, module: Module) -> list[SpeakerCredit]:
    """The credits of an agenda item's speakers, in their order, without empty ones."""
    credits = [speaker_credit(speaker, module) for speaker in item.speakers]
    return [credit for credit in credits if credit.label]


def presenter_name(practice: GoodPractice, module: Module) -> str:
    """A good practice's presenter as outputs name them: empty under the rule."""
    return "" if hides_names(module) else practice.presenter_name.strip()


def presenter_label(practice: GoodPractice, module: Module) -> str:
    """'Name, Organisation' of a practice's presenter, the name left out under the rule."""
    parts = (presenter_name(practice, module), practice.presenter_organisation.strip())
    return ", ".join(part for part in parts if part)
