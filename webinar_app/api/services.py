"""JSON shapes of the API: public schedule data only, never a join URL or personal data.

Texts are in English; where the organisers gave a French version, it is under
"translations": {"fr": {...}} of the same object (the key is absent otherwise).
"""

from __future__ import annotations

from typing import Any

from webinar_app import timefmt
from webinar_app.core.module_life import is_open_for_registration
from webinar_app.core.speakers import speaker_credits
from webinar_app.core.urls import external_url
from webinar_app.models import Module, ModuleStatus, Series
from webinar_app.public import services as public


def _translations(obj: Any, *fields: str) -> dict[str, dict[str, dict[str, str]]]:
    """{"translations": {"fr": {field: text}}} for the fields with a French version, else {}."""
    french = {f: text for f in fields if (text := getattr(obj, f"{f}_fr", None))}
    return {"translations": {"fr": french}} if french else {}


def _iso(dt, tz_name: str) -> str | None:
    return dt.astimezone(timefmt.zone(tz_name)).isoformat() if dt else None


def note_json(series: Series, module: Module, note) -> dict[str, Any]:
    """A published note: title, language, abstract, url, type and size."""
    is_external = bool(note.external_url) and not note.has_file
    url = note.external_url or external_url(
        "public.note_download", slug=series.slug, number=module.number, note_id=note.id,
        filename=public.note_filename(note),
    )
    return {
        "title": note.title,
        "language": note.language,
        "abstract": note.abstract or "",
        "url": url,
        "type": "link" if is_external else "pdf",
        "size": None if is_external else note.file_size,
        "pages": None if is_external else note.file_pages,
        **_translations(note, "title", "abstract"),
    }


def agenda_json(module: Module, tz_name: str) -> list[dict[str, Any]]:
    """The agenda; speakers by role and organisation only (the API names nobody)."""
    items = []
    for item in module.agenda_items:
        at = public.item_starts_at(module, item)
        items.append(
            {
                "kind": item.kind,
                "title": item.title,
                **_translations(item, "title"),
                "starts_at": _iso(at, tz_name),
                "speakers": [
                    {"role": credit.role, "organisation": credit.organisation}
                    for credit in speaker_credits(item, module)
                ],
            }
        )
    return items


def module_json(series: Series, module: Module) -> dict[str, Any]:
    """A module as the API shows it, times in the series' zone with their offset."""
    tz = series.timezone
    return {
        "number": module.number,
        "pillar": module.pillar,
        "title": module.title,
        "thematic_focus": module.thematic_focus,
        "description": module.description,
        "starts_at": _iso(module.starts_at, tz),
        "ends_at": _iso(module.ends_at, tz),
        "timezone": tz,
        "duration_minutes": module.duration_minutes,
        "status": module.status,
        "is_chatham_house": module.is_chatham_house,
        "is_open_for_registration": is_open_for_registration(module, timefmt.now_utc()),
        "url": external_url("public.module_page", slug=series.slug, number=module.number),
        "calendar_url": external_url("feeds.module_calendar", slug=series.slug,
                                     number=module.number),
        "registration_url": external_url("registration.register", slug=series.slug,
                                         module=module.number),
        "agenda": agenda_json(module, tz),
        "notes": [note_json(series, module, n) for n in public.published_notes(module)],
        **_translations(module, "pillar", "title", "thematic_focus", "description"),
    }


def series_json(series: Series, modules: list[Module] | None = None) -> dict:
    """A series; with its modules when given."""
    dated = [
        m for m in series.modules if m.status != ModuleStatus.DRAFT and m.starts_at
    ] if modules is None else [m for m in modules if m.starts_at]
    starts = sorted(m.starts_at for m in dated)
    data: dict[str, Any] = {
        "slug": series.slug,
        "title": series.title,
        "short_description": series.short_description,
        "description": series.description,
        "organiser": series.organiser,
        "chair": series.chair,
        "timezone": series.timezone,
        "languages": series.language_codes,
        "first_module_starts_at": _iso(starts[0], series.timezone) if starts else None,
        "last_module_starts_at": _iso(starts[-1], series.timezone) if starts else None,
        "url": external_url("public.series_page", slug=series.slug),
        "api_url": external_url("api.series_detail", slug=series.slug),
        "calendar_url": external_url("feeds.series_calendar", slug=series.slug),
        "registration_url": external_url("registration.register", slug=series.slug),
        **_translations(series, "title", "short_description", "description"),
    }
    if modules is not None:
        data["modules"] = [module_json(series, m) for m in modules]
    return data
