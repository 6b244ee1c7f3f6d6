"""All models, imported here so that Alembic and the app see the whole schema."""

from webinar_app.models.attendance import AttendanceUpload
from webinar_app.models.audit import AuditEvent
from webinar_app.models.base import Base, utcnow
from webinar_app.models.invitation import (
    Campaign,
    CampaignSend,
    CampaignStatus,
    CampaignText,
    ImportStatus,
    InvitationOptOut,
    Invitee,
    InviteeImport,
)
from webinar_app.models.note import ABSTRACT_MAX_LENGTH, BackgroundNote
from webinar_app.models.outbox import (
    MailQuotaUse,
    OutboxMessage,
    OutboxStatus,
    UndeliverableAddress,
)
from webinar_app.models.reader import BuildStatus, ReaderBuild, ReaderBuildJob
from webinar_app.models.registration import Consent, Person, Registration, RegistrationStatus
from webinar_app.models.schedule import (
    AgendaItem,
    AgendaKind,
    Module,
    ModuleStatus,
    Series,
    Speaker,
)
from webinar_app.models.summary import (
    CommentKind,
    GoodPractice,
    Summary,
    SummaryComment,
    SummaryRevision,
    SummaryState,
)
from webinar_app.models.user import AccountLink, AccountLinkPurpose, Role, SeriesRole, User

__all__ = [
    "AccountLink",
    "AccountLinkPurpose",
    "SeriesRole",
    "AttendanceUpload",
    "AuditEvent",
    "Campaign",
    "CampaignSend",
    "CampaignStatus",
    "CampaignText",
    "ImportStatus",
    "InvitationOptOut",
    "Invitee",
    "InviteeImport",
    "SummaryState",
    "SummaryRevision",
    "SummaryComment",
    "Summary",
    "GoodPractice",
    "CommentKind",
    "ABSTRACT_MAX_LENGTH",
    "AgendaItem",
    "AgendaKind",
    "BackgroundNote",
    "Base",
    "Consent",
    "Module",
    "ModuleStatus",
    "MailQuotaUse",
    "OutboxMessage",
    "UndeliverableAddress",
    "OutboxStatus",
    "Person",
    "ReaderBuild",
    "ReaderBuildJob",
    "BuildStatus",
    "Registration",
    "RegistrationStatus",
    "Role",
    "Series",
    "Speaker",
    "User",
    "utcnow",
]
