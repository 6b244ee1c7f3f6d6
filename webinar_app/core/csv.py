"""CSV files: uploads decoded and their delimiter found once; exports whose cells Excel never
runs as formulas, downloads streamed to the last row.

Every upload (attendance reports, invitee lists) is read with `decode_text` and
`sniff_delimiter`.

Every export writes its rows through `csv_lines` (UTF-8 with a BOM, CRLF line ends) and answers
with `csv_download`, which keeps the request and application contexts alive while the rows are
generated, so a generator that reads the database works until its last row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 100


def decode_text(data: bytes) -> str:
    """An uploaded CSV file's text: BOM first, then BOM-less UTF-16, UTF-8 and cp1252 (as Excel
    writes it); LF line ends. Never fails: a byte no encoding reads becomes U+FFFD."""
    if data.startswith(b"\xff\xfe"):
        text = data[2:].decode("utf-16-le", errors="replace")
    elif data.startswith(b"\xfe\xff"):
        text = data[2:].decode("utf-16-be", errors="replace")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif _looks_like_utf16(data, odd=True):
        text = data.decode("utf-16-le", errors="replace")
    elif _looks_like_utf16(data, odd=False):
        text = data.decode("utf-16-be", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_utf16(data: bytes, *, odd: bool) -> bool:
    sample = data[:400]
    if len(sample) < 4:
        return False
    zeros = sample[1::2] if odd else sample[0::2]
    return zeros.count(0) > len(zeros) * 0.6


def sniff_delimiter(text: str) -> str:
    """Tab if the first 40 lines hold one (Teams, Webex), else semicolon (French Excel) or
    comma, whichever they hold more of."""
    lines = [line for line in text.split("\n")[:40] if line.strip()]
    if any("\t" in line for line in lines):
        return "\t"
    semicolons = sum(line.count(";") for line in lines)
    commas = sum(line.count(",") for line in lines)
    return ";" if semicolons > commas else ","


def neutralise_cell(value: object) -> str:
    """A CSV cell that Excel shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_DANGEROUS) else text


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The CSV text in chunks of rows: a BOM and the header first, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_cell(cell) for cell in header])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise_cell(cell) for cell in row])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """The whole CSV as one string (for small exports built in memory)."""
    return "".join(csv_lines(header, rows))


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


def csv_download(chunks: Iterable[str], filename: str) -> Response:
    """A streamed `text/csv` attachment whose generator runs inside the request's contexts."""
    response = Response(stream_with_context(_encoded(chunks)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
