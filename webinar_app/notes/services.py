"""Upload checks for background notes: a PDF is recognised by its content, not its name."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
FILE_NAME_MAX_LENGTH = 200


class NoteFileError(ValueError):
    """The uploaded file cannot be a background note; the message is shown next to the field."""


@dataclass(frozen=True)
class CheckedPdf:
    """An uploaded PDF that passed every check, ready to be stored on a BackgroundNote."""

    data: bytes
    file_name: str
    size: int
    sha256: str
    pages: int


def max_upload_bytes() -> int:
    """The largest accepted file, from MAX_CONTENT_LENGTH (20 MB when unset)."""
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_UPLOAD_BYTES)


def safe_pdf_name(original: str | None) -> str:
    """An ASCII file name ending in .pdf, safe for a Content-Disposition header."""
    name = secure_filename(original or "")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip("._-")[: FILE_NAME_MAX_LENGTH - 4] or "background-note"
    return f"{stem}.pdf"


def count_pdf_pages(data: bytes) -> int:
    """The number of pages, or NoteFileError when pypdf cannot read the document."""
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    previous = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise NoteFileError(_("The PDF is password-protected; upload an unprotected copy."))
        pages = len(reader.pages)
    except NoteFileError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise NoteFileError(_("The file could not be read as a PDF; it may be damaged.")) from exc
    finally:
        pypdf_log.setLevel(previous)
    if pages < 1:
        raise NoteFileError(_("The PDF has no pages."))
    return pages


def check_pdf(data: bytes, original_name: str | None, max_bytes: int | None = None) -> CheckedPdf:
    """Check size and content of an upload; raise NoteFileError with a message for the form."""
    limit = max_bytes if max_bytes is not None else max_upload_bytes()
    if not data:
        raise NoteFileError(_("The file is empty."))
    if len(data) > limit:
        raise NoteFileError(
            _("The file is larger than the limit of %(limit)s.", limit=_human_limit(limit))
        )
    if not data.startswith(PDF_MAGIC):
        raise NoteFileError(_("The file is not a PDF (its content is not a PDF document)."))
    pages = count_pdf_pages(data)
    return CheckedPdf(
        data=data,
        file_name=safe_pdf_name(original_name),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        pages=pages,
    )


def too_large_message() -> str:
    """The message shown next to the file field when the upload exceeds the limit."""
    limit = _human_limit(max_upload_bytes())
    return _("The file is larger than the limit of %(limit)s.", limit=limit)


def _human_limit(limit: int) -> str:
    from webinar_app.timefmt import human_size

    return human_size(limit)
