"""CSV exports: cells Excel never runs as formulas, and downloads streamed to the last row.

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
