"""Rendered public pages, feeds and API answers kept in the process while their series is unchanged.

A document is stored with the version of the data it shows (the series' `updated_at`, or the
list of series' versions for the index). Every request reads that version with one small query,
so a change made by any worker is seen at once by all. `PUBLIC_MODELS` is the one list of the
models a public page, feed or API answer shows: any flush that adds, changes or deletes one of
them touches its series' `updated_at` (`touch_changed_series`, installed by `create_app` through
`init_app`). Entries also expire after PUBLIC_PAGE_CACHE_SECONDS (config.py; 0 turns the cache
off) for what depends on the clock (registration windows). Only anonymous visitors without
flashed messages are served pages from the cache: nothing personal is ever stored. Documents
that are the same for everyone whoever asks (the public calendar feeds, the JSON API) use
`shared`. Bulk UPDATE/DELETE statements bypass the flush: services change these models through
the session's objects.

HTTP caching: `public_response` sends a cached document with its ETag (a hash of the stored
body, so a revalidation is answered from the cache without rendering) and PUBLIC_CACHE_CONTROL,
so a front cache may keep it; `keep_private` (an after_request hook) turns any answer under
PRIVATE_PATHS, any answer to a visitor with a session and any answer that sets a cookie into
`private, no-store`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from flask import Flask, Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    GoodPractice,
    Module,
    ReaderBuild,
    Series,
    Speaker,
    Summary,
    utcnow,
)

# Every model whose rows a public page, feed or API answer shows, with its way up to its series:
# (relationship to the parent, the parent's foreign key, the parent's model).
PUBLIC_MODELS: dict[type, tuple[str, str, type] | None] = {
    Series: None,
    Module: ("series", "series_id", Series),
    AgendaItem: ("module", "module_id", Module),
    Speaker: ("agenda_item", "agenda_item_id", AgendaItem),
    BackgroundNote: ("module", "module_id", Module),
    Summary: ("module", "module_id", Module),
    GoodPractice: ("summary", "summary_id", Summary),
    ReaderBuild: ("series", "series_id", Series),
}
MAX_ENTRIES = 500
CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since")
PUBLIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"
PRIVATE_CACHE_CONTROL = "private, no-store"
PRIVATE_PATHS = ("/me/", "/admin/", "/auth/")
PAGE_VARY = ("Accept-Language", "Cookie")


@dataclass(frozen=True, slots=True)
class CachedPage:
    version: Hashable
    expires: float
    body: str | bytes
    etag: str


class PageCache:
    """A small in-process map from page key to rendered body, checked against a data version."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, CachedPage] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> CachedPage | None:
        entry = self._entries.get(key)
        if entry is None or entry.version != version or entry.expires < time.monotonic():
            return None
        return entry

    def put(
        self, key: Hashable, version: Hashable, body: str | bytes, seconds: float
    ) -> CachedPage:
        entry = CachedPage(version, time.monotonic() + seconds, body, _etag(body))
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = entry
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _etag(body: str | bytes) -> str:
    data = body.encode() if isinstance(body, str) else body
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def page_cache() -> PageCache:
    """The application's page cache."""
    return current_app.extensions["public_page_cache"]


def is_conditional() -> bool:
    """True if the request asks for a conditional answer (the only case make_conditional acts)."""
    return any(name in request.headers for name in CONDITIONAL_HEADERS)


def _seconds() -> float:
    return current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]


def _is_cacheable(allowed_args: tuple[str, ...]) -> bool:
    if _seconds() <= 0:
        return False
    if any(name not in allowed_args for name in request.args):
        return False
    if "_flashes" in session:
        return False
    return not current_user.is_authenticated


def cached(
    key: Hashable,
    version: Hashable,
    render: Callable[[], str],
    allowed_args: tuple[str, ...] = (),
) -> CachedPage:
    """The page for key at this data version: from the cache, or rendered and stored.

    The key should say everything the page depends on besides the data (locale, time zone);
    the request's path and query string are added to it.
    """
    if not _is_cacheable(allowed_args):
        return _uncached(version, render)
    return _remembered((key, request.full_path), version, render)


def shared(key: Hashable, version: Hashable, render: Callable[[], str | bytes]) -> CachedPage:
    """A document that is the same for every visitor, from the cache or rendered and stored.

    Neither the visitor nor the query string is looked at: the key must say everything the
    document depends on besides the data at this version (e.g. the feed and the series' slug).
    """
    if _seconds() <= 0:
        return _uncached(version, render)
    return _remembered(key, version, render)


def _uncached(version: Hashable, render: Callable[[], str | bytes]) -> CachedPage:
    body = render()
    return CachedPage(version, 0.0, body, _etag(body))


def _remembered(
    key: Hashable, version: Hashable, render: Callable[[], str | bytes]
) -> CachedPage:
    cache = page_cache()
    entry = cache.get(key, version)
    if entry is None:
        entry = cache.put(key, version, render(), _seconds())
    return entry


def public_response(
    entry: CachedPage, mimetype: str = "text/html", vary: tuple[str, ...] = PAGE_VARY
) -> Response:
    """The document as a publicly cacheable answer with its ETag; 304 to a matching request."""
    response = current_app.response_class(entry.body, mimetype=mimetype)
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    response.vary.update(vary)
    return response.make_conditional(request) if is_conditional() else response


def is_private_answer(response: Response) -> bool:
    """True for personal and organiser paths, visitors with a session, and answers that set a
    cookie (static files excepted): a shared cache must not keep these."""
    if request.endpoint == "static":
        return False
    return (
        request.path.startswith(PRIVATE_PATHS)
        or "Set-Cookie" in response.headers
        or bool(session)
    )


def keep_private(response: Response) -> Response:
    """After each request: a private answer is never `public`; `no-store` unless the view chose
    its own private policy (the personal calendar feed, revalidated by calendar apps)."""
    if is_private_answer(response) and not response.cache_control.private:
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
    return response


def public_tables() -> set[str]:
    """The tables of PUBLIC_MODELS."""
    return {model.__table__.name for model in PUBLIC_MODELS}


def _parent(session_: Session, obj: object, relation: str, key: str, cls: type) -> object:
    parent = getattr(obj, relation)
    if parent is None and getattr(obj, key) is not None:
        parent = session_.get(cls, getattr(obj, key))
    return parent


def _series_of(session_: Session, obj: object) -> Series | None:
    while obj is not None and not isinstance(obj, Series):
        way_up = PUBLIC_MODELS.get(type(obj))
        obj = _parent(session_, obj, *way_up) if way_up else None
    return obj


def touch_changed_series(session_: Session, _flush_context, _instances) -> None:
    """Before a flush: give every series whose public data changes a new `updated_at`."""
    changed = [o for o in chain(session_.new, session_.dirty, session_.deleted)
               if type(o) in PUBLIC_MODELS]
    if not changed:
        return
    now = utcnow()
    for series in {id(s): s for s in (_series_of(session_, o) for o in changed) if s}.values():
        if series not in session_.deleted:
            series.updated_at = now


def init_app(app: Flask) -> None:
    """Give the app its page cache and install the flush hook (once per process)."""
    app.extensions["public_page_cache"] = PageCache()
    if not event.contains(Session, "before_flush", touch_changed_series):
        event.listen(Session, "before_flush", touch_changed_series)


_SERIES = Series.__table__.c
_SERIES_VERSION = select(_SERIES.id, _SERIES.updated_at).where(_SERIES.slug == bindparam("slug"))
_ALL_SERIES_VERSION = select(_SERIES.id, _SERIES.updated_at).order_by(_SERIES.id)


def series_version(slug: str) -> tuple[int, datetime] | None:
    """The series' id and last change (for the page cache), or None if there is no such series.

    Read on a connection of its own, not the ORM session: a revalidation answered from the
    cache then opens no session at all.
    """
    with db.engine.connect() as connection:
        row = connection.execute(_SERIES_VERSION, {"slug": slug}).first()
    return tuple(row) if row else None


def all_series_version() -> tuple:
    """Every series' id and last change (for the page cache of the series list)."""
    with db.engine.connect() as connection:
        return tuple(tuple(row) for row in connection.execute(_ALL_SERIES_VERSION))
