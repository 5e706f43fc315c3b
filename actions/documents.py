"""Statement files from the bank's ledger: a PDF (fpdf2) and a CSV, made in memory.

Every word a customer reads in them comes from `bot/domain/statements.yml` (the `labels`,
rendered by the action); this module only lays out the bank's figures. fpdf2 is pure Python
and small (no system libraries, no browser), and its core fonts need no font files; they
are Latin-1, so anything else in a merchant's name is replaced before it is drawn.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from actions.formatting import day, money
from bot.bank import AccountStatement

PDF = "application/pdf"
CSV = "text/csv"


@dataclass(frozen=True, slots=True)
class Heading:
    """Who and what the statement is for, as the customer reads it."""

    title: str  # "Statement"
    customer: str  # the account holder's name
    account: str  # "Current account ••4821"
    period: str  # "1 Oct 2026 to 31 Oct 2026"
    made_on: date


def _latin1(text: str) -> str:
    return text.replace("••", "**").encode("latin-1", "replace").decode("latin-1")


def _amount(value: Decimal, currency: str) -> str:
    return money(value, currency) if value else ""


class _StatementPdf(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110)
        text = self._footer.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 6, _latin1(text), align="C")


# Column widths (mm) of the table: date, description, money in, money out, balance.
_WIDTHS = (24, 82, 26, 26, 32)


def statement_pdf(
    statement: AccountStatement, heading: Heading, labels: Mapping[str, str]
) -> bytes:
    """The statement as an A4 PDF: heading, the four totals, then every row with its balance.

    `labels` are the words: made_on, opening, money_in, money_out, closing, date, description,
    paid_in, paid_out, balance, none (a period without rows), footer ("Page {page} of
    {pages}")."""
    currency = statement.currency
    pdf = _StatementPdf(labels["footer"])
    pdf.set_title(_latin1(f"{heading.title}: {heading.account}, {heading.period}"))
    pdf.set_creation_date(datetime.combine(heading.made_on, time(), tzinfo=UTC))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _latin1(heading.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in (heading.customer, heading.account, heading.period):
        pdf.cell(0, 6, _latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    pdf.set_text_color(110)
    made = labels["made_on"].format(day=day(heading.made_on))
    pdf.cell(0, 6, _latin1(made), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(3)
    totals = (
        (labels["opening"], money(statement.opening_balance, currency)),
        (labels["money_in"], money(statement.money_in, currency)),
        (labels["money_out"], money(statement.money_out, currency)),
        (labels["closing"], money(statement.closing_balance, currency)),
    )
    pdf.set_fill_color(240, 243, 247)
    for label, value in totals:
        pdf.set_font("Helvetica", size=10)
        pdf.cell(60, 7, _latin1(label), fill=True)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(40, 7, _latin1(value), align="R", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    header = (labels["date"], labels["description"], labels["paid_in"], labels["paid_out"])
    _table_header(pdf, (*header, labels["balance"]))
    if not statement.lines:
        pdf.set_font("Helvetica", "I", 9)
        pdf.cell(0, 7, _latin1(labels["none"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=8.5)
    for number, line in enumerate(statement.lines):
        if pdf.will_page_break(6):
            pdf.add_page()
            _table_header(pdf, (*header, labels["balance"]))
            pdf.set_font("Helvetica", size=8.5)
        txn = line.transaction
        description = txn.merchant or txn.description
        cells = (
            day(txn.booked_at.date()),
            description[:48],
            _amount(max(txn.amount, Decimal(0)), currency),
            _amount(max(-txn.amount, Decimal(0)), currency),
            money(line.balance, currency),
        )
        fill = number % 2 == 1
        pdf.set_fill_color(248, 249, 251)
        for width, text, align in zip(_WIDTHS, cells, "LLRRR", strict=True):
            pdf.cell(width, 6, _latin1(text), align=align, fill=fill)
        pdf.ln(6)
    return bytes(pdf.output())


def _table_header(pdf: FPDF, titles: tuple[str, ...]) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(224, 230, 238)
    for width, title, align in zip(_WIDTHS, titles, "LLRRR", strict=True):
        pdf.cell(width, 7, _latin1(title), align=align, fill=True)
    pdf.ln(7)


def statement_csv(statement: AccountStatement, columns: Mapping[str, str]) -> bytes:
    """One row per booked transaction, oldest first, for a spreadsheet: ISO dates and plain
    signed amounts (money in positive), the balance after each row and the bank's id.

    `columns` are the header words: date, description, merchant, amount, balance, id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [columns[k] for k in ("date", "description", "merchant", "amount", "balance", "id")]
    )
    for line in statement.lines:
        txn = line.transaction
        writer.writerow(
            [
                txn.booked_at.date().isoformat(),
                _spreadsheet_safe(txn.description),
                _spreadsheet_safe(txn.merchant or ""),
                f"{txn.amount:.2f}",
                f"{line.balance:.2f}",
                txn.id,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel then reads UTF-8


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @ first) is kept as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
