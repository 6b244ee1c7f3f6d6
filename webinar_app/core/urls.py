"""Addresses the visitor sends us: where to go back to, numbers and words in URLs.

- `safe_next`: every "go back to" target (`next` in a query string or a form) goes through it;
  only a path on this site passes, anything else gives the default.
- `DatabaseIntConverter` and `TextConverter` replace Flask's `int` and `string` converters:
  a number no INTEGER column can hold, or a path segment with a control character, is a 404
  instead of a database error.
- `int_arg`: a whole-number query argument (`?page=`), the same rule.
- `refuse_nul_in_query`: a query string with a NUL is a 400 with its reason.
- `site_host`: the host name of BASE_URL, for calendar UIDs and Message-IDs.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit

from flask import abort, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import Map
from werkzeug.routing.converters import IntegerConverter, UnicodeConverter

DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
NEXT_MAX_LENGTH = 2000
_DECODE_ROUNDS = 4
_ASCII_PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))


def _variants(value: str) -> list[str]:
    """value, its percent-decoded forms (repeatedly) and the NFKC form of each."""
    seen = [value]
    current = value
    for _round in range(_DECODE_ROUNDS):
        decoded = unquote(current)
        if decoded == current:
            break
        seen.append(decoded)
        current = decoded
    return seen + [unicodedata.normalize("NFKC", v) for v in seen]


def _is_local_path(value: str) -> bool:
    """Whether one form of a target is a plain path on this site (no host, no scheme)."""
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return False
    if "\\" in value or not value.isprintable():
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def is_safe_next(value: object) -> bool:
    """Whether value is a path on this site in every form a browser or proxy may read it."""
    if not isinstance(value, str) or not value or len(value) > NEXT_MAX_LENGTH:
        return False
    return all(_is_local_path(variant) for variant in _variants(value))


def safe_next(value: object, default: str) -> str:
    """value when it is a path on this site (see is_safe_next), as ASCII, else default."""
    if not is_safe_next(value):
        return default
    return quote(str(value), safe=_ASCII_PRINTABLE)


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` bounded to the INTEGER columns' range: a bigger number matches no route."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002 - werkzeug's argument names
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(
            map,
            fixed_digits,
            DB_INT_MIN if min is None and signed else min,
            DB_INT_MAX if max is None else max,
            signed,
        )


class TextConverter(UnicodeConverter):
    """`<name>` / `<string:name>`: one path segment without control characters."""

    def __init__(self, map: Map, minlength: int = 1, maxlength: int | None = None,
                 length: int | None = None) -> None:
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f-\x9f\u2028\u2029]", 1)


URL_CONVERTERS = {"int": DatabaseIntConverter, "default": TextConverter, "string": TextConverter}


class RefusedInput(BadRequest):
    """A 400 whose description (translated, for the visitor) says what to change."""


def refuse_nul_in_query() -> None:
    """Answer 400 to a query string holding a NUL: no page uses one and the database refuses it."""
    pairs = request.args.items(multi=True)
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise RefusedInput(
            _("The address contains a NUL character (%(code)s). Remove it from the address and "
              "try again.", code="%00")
        )


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int = DB_INT_MAX) -> int:
    """The whole-number query argument `name`: default when absent or not a number, 404 when out
    of the range [minimum, maximum]."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    if not minimum <= value <= maximum:
        abort(404)
    return value


def external_url(endpoint: str, **values) -> str:
    """An absolute URL of a route, on BASE_URL (emails, calendars, the API; also outside requests).

    url_for(_external=True) would take the host of the current request, or need SERVER_NAME;
    this builds through the same URL map, bound to the configured BASE_URL.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def site_host(base_url: str) -> str:
    """The host name of BASE_URL, used for UIDs and Message-IDs."""
    return urlsplit(base_url).hostname or "localhost"
