"""The balance confirmation letter as an A4 PDF (fpdf2), made in memory from the bank's
figures. Every word in it comes from `bot/domain/profile.yml` (the labels the action renders);
this module only lays them out. The core fonts are Latin-1, so anything else is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos


@dataclass(frozen=True, slots=True)
class Letter:
    customer: str  # the account holder's name
    address: tuple[str, ...]  # lines, town, postcode; empty when the bank holds none
    account: str  # "Current account ending 4821"
    last4: str
    balance: str  # "£1,234.56"
    day: str  # "3 Dec 2026"
    body: str  # the sentence that confirms it
    made_on: str
    made_at: datetime


def _latin1(text: str) -> str:
    return text.replace("••", "**").encode("latin-1", "replace").decode("latin-1")


def balance_letter_pdf(letter: Letter, labels: Mapping[str, str]) -> bytes:
    """`labels`: title, greeting, account, account_number, balance, date, holder,
    closing, sign_off."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(_latin1(f"{labels['title']}: {letter.account}, {letter.day}"))
    pdf.set_creation_date(letter.made_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 6, _latin1(labels["sign_off"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font("Helvetica", size=11)
    for line in (letter.customer, *letter.address):
        pdf.cell(0, 5.5, _latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.cell(0, 6, _latin1(letter.day), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(labels["title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    pdf.ln(2)
    pdf.cell(0, 6, _latin1(labels["greeting"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.multi_cell(0, 6, _latin1(letter.body), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_fill_color(240, 243, 247)
    rows = (
        (labels["holder"], letter.customer),
        (labels["account"], letter.account),
        (labels["account_number"], f"****{letter.last4}"),
        (labels["date"], letter.day),
        (labels["balance"], letter.balance),
    )
    for label, value in rows:
        pdf.set_font("Helvetica", size=10)
        pdf.cell(55, 7, _latin1(label), fill=True)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(80, 7, _latin1(value), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5.5, _latin1(labels["closing"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.cell(0, 6, _latin1(labels["sign_off"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=8)
    pdf.set_text_color(110)
    pdf.cell(0, 6, _latin1(letter.made_on), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
