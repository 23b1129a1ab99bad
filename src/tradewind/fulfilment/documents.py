"""Printable parcel documents: a shipping label and the CN23 customs declaration, as one PDF.

Why CN23 always: the UPU's CN22 is allowed only up to 300 SDR of contents, and a CN23 is
accepted for any value, so one form never needs an SDR conversion to choose. Addresses and
contents are written as given; international mail is addressed in Latin letters (UPU
Convention), and a character the font cannot draw prints as ``?`` rather than failing.
Rendering is pure: it takes the data and returns bytes (``fpdf2``, no I/O but the font file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF

FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD_FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
MAX_ITEMS = 50  # a declaration lists at most this many lines; the rest are summed in one


@dataclass(frozen=True, slots=True)
class Parcel:
    """What the label and the declaration print (amounts as already formatted text)."""

    order_id: str
    tracking_number: str  # empty before the post issues one
    service: str
    sender: Sequence[str]  # name and address lines
    addressee: Sequence[str]
    weight_g: int
    currency: str
    items: Sequence[Mapping[str, Any]]  # description, quantity, value (text), hs_code, origin
    total_value: str
    labels: Mapping[str, str]  # the printed words, in the seller's language


@cache
def _glyphs() -> frozenset[int]:
    if not (FONT_FILE.exists() and BOLD_FONT_FILE.exists()):
        return frozenset(range(32, 127))
    with TTFont(str(FONT_FILE), lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """``text`` with every character the font has no glyph for replaced by ``?``."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs else "?" for c in str(text))


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    if FONT_FILE.exists() and BOLD_FONT_FILE.exists():
        pdf.add_font("body", fname=str(FONT_FILE))
        pdf.add_font("body", style="B", fname=str(BOLD_FONT_FILE))
        pdf.set_font("body", size=11)
    else:  # the core font prints Latin-1 only; printable() keeps to ASCII then
        pdf.set_font("helvetica", size=11)
    return pdf


def _block(pdf: FPDF, title: str, lines: Sequence[str]) -> None:
    pdf.set_font_size(9)
    pdf.cell(0, 6, printable(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(13)
    for line in lines:
        pdf.cell(0, 7, printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _label(pdf: FPDF, parcel: Parcel) -> None:
    words = parcel.labels
    pdf.add_page()
    pdf.set_font_size(18)
    pdf.cell(0, 10, printable(words["label"]), new_x="LMARGIN", new_y="NEXT")
    _block(pdf, words["from"], parcel.sender)
    _block(pdf, words["to"], parcel.addressee)
    number = parcel.tracking_number or words["no_number"]
    _block(pdf, words["tracking"], [number])
    _block(pdf, words["service"], [parcel.service])
    _block(pdf, words["weight"], [f"{parcel.weight_g} g"])
    _block(pdf, words["order"], [parcel.order_id])


def _declaration(pdf: FPDF, parcel: Parcel) -> None:
    words = parcel.labels
    pdf.add_page()
    pdf.set_font_size(16)
    pdf.cell(0, 10, printable(words["declaration"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(10)
    pdf.cell(0, 6, printable(words["category"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    head = (words["contents"], words["quantity"], words["value"], words["hs"], words["origin"])
    widths = (80, 18, 34, 26, 22)
    with pdf.table(col_widths=widths, text_align="LEFT") as table:
        table.row([printable(h) for h in head])
        for item in list(parcel.items)[:MAX_ITEMS]:
            cells = (
                item["description"],
                str(item["quantity"]),
                item["value"],
                item["hs_code"],
                item["origin_country"],
            )
            table.row([printable(c) for c in cells])
    pdf.ln(4)
    total = f"{words['total']}: {parcel.total_value} ({parcel.currency})"
    pdf.cell(0, 7, printable(total), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, printable(f"{words['weight']}: {parcel.weight_g} g"), new_x="LMARGIN")
    pdf.ln(12)
    pdf.multi_cell(0, 6, printable(words["certify"]))


def parcel_pdf(parcel: Parcel) -> bytes:
    """The label (page 1) and the CN23 declaration (page 2) of one parcel."""
    pdf = _pdf()
    pdf.set_title(printable(f"{parcel.labels['declaration']} {parcel.order_id}"))
    _label(pdf, parcel)
    _declaration(pdf, parcel)
    return bytes(pdf.output())
