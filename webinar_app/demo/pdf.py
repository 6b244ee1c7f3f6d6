"""Render a demo background note to a real PDF (fpdf2, core fonts, Latin-1 text)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pypdf import PdfReader

from webinar_app.demo.data import DemoModule

DEMO_LABEL = "Demo text - not the real background note"
FIXED_CREATION_DATE = datetime(2021, 3, 1, tzinfo=UTC)


class _DemoNotePDF(FPDF):
    def __init__(self, series_title: str) -> None:
        super().__init__(format="A4")
        self.series_title = series_title

    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.series_title} | {DEMO_LABEL}", align="C",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 10, f"Demo text - page {self.page_no()}", align="C")


def render_note_pdf(module: DemoModule, series_title: str, organiser: str) -> bytes:
    """The module's demo background note as PDF bytes (the same bytes on every run)."""
    pdf = _DemoNotePDF(series_title)
    pdf.set_title(module.note.title)
    pdf.set_author(organiser)
    pdf.set_subject(DEMO_LABEL)
    pdf.set_creation_date(FIXED_CREATION_DATE)
    pdf.set_margins(22, 20, 22)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, f"Module {module.number} - {module.pillar}: {module.thematic_focus}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width, 8, module.note.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_fill_color(255, 243, 205)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(
        width, 6,
        "Demo text. This short note was written for the demo of the webinar application. "
        "It is not the background note of the real series and must not be quoted.",
        border=1, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    for paragraph in module.note.paragraphs:
        pdf.multi_cell(width, 6, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    return bytes(pdf.output())


def count_pages(data: bytes) -> int:
    """The number of pages of a PDF."""
    return len(PdfReader(BytesIO(data)).pages)
