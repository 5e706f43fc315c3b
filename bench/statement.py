"""How long a statement for the whole 90 days of seeded history takes: the bank's ledger read,
the PDF (fpdf2) and the CSV, and a spending chart's PNG (matplotlib), each made `--runs`
times on a freshly seeded in-process sandbox bank (the same client and API as over HTTP).
Target: a 90-day PDF statement in under one second on this machine.

    .venv/bin/python bench/statement.py [--runs 10] [--account acc-001-current]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions.charts import Bar, bar_chart_png
from actions.documents import Heading, statement_csv, statement_pdf
from actions.formatting import account_label, day
from actions.spending import category_of
from actions.statements import CSV_COLUMNS, PDF_LABELS
from bot.config import load_settings
from bot.dialogue.domain import load_domain
from compose import open_sandbox_bank


def _text(domain, key: str, **variables: str) -> str:
    return domain.text(key, variables)


def _labels(domain) -> dict[str, str]:
    named = [n for n in PDF_LABELS if n not in ("made_on", "footer")]
    labels = {n: _text(domain, f"statement_pdf_{n}") for n in named}
    labels["made_on"] = _text(domain, "statement_pdf_made_on", day="{day}")
    labels["footer"] = _text(domain, "statement_pdf_footer", page="{page}", pages="{pages}")
    return labels


def _timed(work, runs: int) -> tuple[list[float], object]:
    took, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        took.append(time.perf_counter() - started)
    return took, result


def _line(what: str, took: list[float], extra: str = "") -> None:
    print(
        f"{what:<34} median {statistics.median(took) * 1000:7.1f} ms"
        f"   max {max(took) * 1000:7.1f} ms{extra}"
    )


async def main(runs: int, account_id: str) -> None:
    domain = load_domain(load_settings().dialogue.domain)
    async with open_sandbox_bank() as bank:
        accounts = {a.id: a for a in await bank.list_accounts("cust-001")}
        account = accounts[account_id]
        start, end = account.opened_on or date.today(), date.today()
        reads = []
        for _ in range(runs):
            started = time.perf_counter()
            statement = await bank.account_statement("cust-001", account_id, start, end)
            reads.append(time.perf_counter() - started)
        spent = await bank.list_transactions("cust-001", start=start, end=end, limit=500)
    heading = Heading(
        _text(domain, "statement_title"),
        "Emma Clarke",
        account_label(account),
        _text(domain, "statement_period_range", start=day(start), end=day(end)),
        end,
    )
    labels = _labels(domain)
    columns = {n: _text(domain, f"statement_csv_{n}") for n in CSV_COLUMNS}
    pdf_took, pdf = _timed(lambda: statement_pdf(statement, heading, labels), runs)
    csv_took, csv = _timed(lambda: statement_csv(statement, columns), runs)
    totals: dict[str, Decimal] = {}
    for txn in spent:
        if txn.amount < 0:
            totals[category_of(txn)] = totals.get(category_of(txn), Decimal(0)) - txn.amount
    bars = [Bar(name, amount, f"£{amount:,.2f}") for name, amount in sorted(totals.items())]
    first_chart = time.perf_counter()
    bar_chart_png("Spending by category", bars, horizontal=True)
    first_chart = time.perf_counter() - first_chart
    png_took, png = _timed(lambda: bar_chart_png("Spending", bars, horizontal=True), runs)
    days = (statement.end - statement.start).days + 1
    print(f"{account_id}: {days} days, {len(statement.lines)} booked rows, {runs} runs each")
    _line("bank ledger read (in process)", reads)
    _line("PDF render (fpdf2)", pdf_took, f"   {len(pdf):,} bytes")
    _line("CSV render", csv_took, f"   {len(csv):,} bytes")
    _line("chart PNG (matplotlib)", png_took, f"   {len(png):,} bytes")
    print(f"{'first chart in a process':<34} {first_chart * 1000:7.1f} ms (imports matplotlib)")
    whole = statistics.median(reads) + statistics.median(pdf_took)
    print(f"statement, read and PDF (median): {whole * 1000:.1f} ms (target < 1000 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--account", default="acc-001-current")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.account))
