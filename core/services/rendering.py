"""The PDF writer: laid-out document blocks to an A4 PDF with ReportLab and a CID font.

``STSong-Light`` is one of the Adobe Asian fonts every PDF viewer (pdf.js, Acrobat, poppler with
poppler-data) supplies itself, so nothing is embedded: a form renders in a few milliseconds and
weighs a few KiB (figures in ``bench/documents.md``). WeasyPrint with an embedded Noto CJK font
took about 16 s a page here, far too slow for per-case documents. Renders run in the workers
(`core.services.documents.DocumentJobs`), never in a request.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from xml.sax.saxutils import escape

from core.domain.layout import Block

__all__ = ["FONT", "render_pdf"]

FONT = "STSong-Light"


@cache
def _styles() -> dict:
    # Registering the CID font and building styles once per process; both are read-only after.
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
    return {
        "base": base,
        "org": ParagraphStyle("org", parent=base, alignment=TA_CENTER, fontSize=12),
        "title": ParagraphStyle("title", parent=base, alignment=TA_CENTER, fontSize=18, leading=26),
        "number": ParagraphStyle("number", parent=base, alignment=TA_RIGHT, fontSize=10),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=20, spaceBefore=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10.5, leading=15),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12),
    }


LONG_CELL = 600
"""More characters than a table cell can hold on one page, with room to spare: such text is laid
out as paragraphs, which break across pages (any text the API accepts must render)."""


def render_pdf(*, tenant: str, title: str, number: str, blocks: Sequence[Block]) -> bytes:
    """An A4 PDF of the document: the organisation, the title, the number, then the blocks."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = _styles()

    def para(text: str, style: str = "base") -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), styles[style])

    # A wide table (the monthly circular's 16 columns) gets a landscape page and smaller cells.
    wide = any(block.kind == "table" and max(map(len, block.rows)) > 8 for block in blocks)
    page = landscape(A4) if wide else A4
    width = page[0] - 40 * mm
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), FONT),
        ]
    )
    story: list = [para(tenant, "org"), para(title, "title")]
    if number:
        story.append(para(f"编号：{number}", "number"))
    story.append(Spacer(1, 4 * mm))
    for block in blocks:
        match block.kind:
            case "heading":
                story.append(para(block.text, "heading"))
            case "fields" if any(len(value) > LONG_CELL for _, value in block.cells):
                # A table row cannot break across pages: a long answer is a label over its text.
                for label, value in block.cells:
                    story += [para(label, "heading"), para(value)]
            case "table" if any(len(cell) > LONG_CELL for row in block.rows for cell in row):
                story += [para("　".join(row)) for row in block.rows]
            case "fields":
                label_width = 24 * mm
                value_width = (width - label_width * len(block.cells)) / len(block.cells)
                row = []
                for label, value in block.cells:
                    row += [para(label, "cell"), para(value, "cell")]
                table = Table([row], colWidths=[label_width, value_width] * len(block.cells))
                shaded = [
                    ("BACKGROUND", (2 * i, 0), (2 * i, 0), colors.whitesmoke) for i in range(len(block.cells))
                ]
                table.setStyle(TableStyle([*grid.getCommands(), *shaded]))
                story.append(table)
            case "table":
                columns = max(len(row) for row in block.rows)
                rows = [
                    [para(cell, "cell") for cell in row] + [""] * (columns - len(row)) for row in block.rows
                ]
                table = Table(rows, colWidths=[width / columns] * columns, repeatRows=1)
                table.setStyle(
                    TableStyle([*grid.getCommands(), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
                )
                story.append(table)
            case "paragraph":
                story.append(para(block.text))
            case _:
                story.append(Spacer(1, 3 * mm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {number}".strip(),
        author=tenant,
        # Identical bytes for identical input: no creation date, no random document id.
        invariant=True,
    )
    document.build(story)
    return buffer.getvalue()
