"""Upload checks for background notes: a PDF is recognised by its content, not its name."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from werkzeug.utils import secure_filename

from webinar_app.timefmt import human_size

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


def _read_pdf(data: bytes) -> tuple[int, str | None]:
    """(pages, kind of active content or None), or NoteFileError when pypdf cannot read it."""
    pypdf_log = logging.getLogger("pypdf")
    previous = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise NoteFileError(_("The PDF is password-protected; upload an unprotected copy."))
        pages = len(reader.pages)
        active = find_active_content(reader)
    except NoteFileError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise NoteFileError(_("The file could not be read as a PDF; it may be damaged.")) from exc
    finally:
        pypdf_log.setLevel(previous)
    if pages < 1:
        raise NoteFileError(_("The PDF has no pages."))
    return pages, active


def _active_kind(obj: dict) -> str | None:
    """'javascript', 'launch' or 'attachment' when this PDF dictionary is active content."""
    action = obj.get("/S")
    if action == "/JavaScript" or "/JS" in obj or "/JavaScript" in obj or "/XFA" in obj:
        return "javascript"
    if action == "/Launch":
        return "launch"
    if (obj.get("/Type") == "/EmbeddedFile" or "/EmbeddedFiles" in obj
            or obj.get("/Subtype") == "/FileAttachment"):
        return "attachment"
    return None


def find_active_content(reader: PdfReader) -> str | None:
    """The first kind of active content reachable from the document catalog, or None.

    Walks every object the document uses (catalog, names tree, open action, additional actions,
    pages, annotations, form fields, chained /Next actions), each indirect object once.
    """
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer.raw_get("/Root")]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            kind = _active_kind(obj)
            if kind:
                return kind
            stack.extend(obj.raw_get(key) for key in obj)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


ACTIVE_CONTENT_MESSAGES = {
    "javascript": _l("The PDF contains JavaScript, which a reader could run when the note is "
                     "opened. Save or print it again as a plain PDF (without scripts or form "
                     "actions) and upload that copy."),
    "launch": _l("The PDF contains an action that starts another program or opens a file. "
                 "Save or print it again as a plain PDF and upload that copy."),
    "attachment": _l("The PDF carries attached files. Remove the attachments (or save or "
                     "print it again as a plain PDF) and upload that copy."),
}


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
    pages, active = _read_pdf(data)
    if active:
        raise NoteFileError(str(ACTIVE_CONTENT_MESSAGES[active]))
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
    return human_size(limit)
