"""Confirmation of Payee (a sandbox extension): does this name match the account's holder?

The sandbox answers from a fixed directory of accounts at other banks (below) and from its own
customers' accounts. The rule, deterministic and the same for every account:

- names are compared after normalising: lower case, accents and punctuation dropped, titles
  (mr, mrs, ms, miss, mx, dr) and company suffixes (ltd, limited, plc, llp) removed;
- equal after that: MATCH;
- CLOSE_MATCH if rapidfuzz's token_sort_ratio of the two is at least 85 (a typo, another word
  order), or the surnames (last words) are equal and one first name is the other's start or
  initial ("Jon Smith" / "Jonathan Smith", "J Smith");
- else NO_MATCH, and the held name is not revealed.

A name that matches but an account type that does not (Personal given, Business held) is a
CLOSE_MATCH too. ReasonCode follows the UK CoP codes: MBAM close match, BANM / PANM name matches
a business / personal account, BAMM / PAMM close match on one, ANNM no match, AC01 no account.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import accounts, customers

PERSONAL, BUSINESS = "Personal", "Business"
CLOSE_SCORE = 85
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr"}
_SUFFIXES = {"ltd", "limited", "plc", "llp"}


@dataclass(frozen=True, slots=True)
class Holder:
    sort_code: str
    account_number: str
    name: str
    account_type: str = PERSONAL


# Accounts at other banks, with the names their banks hold. The payees the customers saved are
# here under the names they saved them with; the rest exercise close matches and a business.
DIRECTORY = (
    Holder("200415", "31926819", "Alice Johnson"),
    Holder("309634", "02847512", "Bob Martin"),
    Holder("401276", "71550390", "Priya Patel"),
    Holder("601613", "40522871", "Tom Baker"),
    Holder("086011", "12095544", "Tom Barker"),
    Holder("404784", "91028833", "Margaret Wilson"),
    Holder("205134", "83340019", "Daniel Okafor"),
    Holder("309950", "11873422", "Chloe Evans"),
    Holder("089999", "52710403", "Jonathan Smith"),
    Holder("107999", "31425909", "Sarah O'Brien"),
    Holder("040510", "64118308", "Rebecca Taylor"),
    Holder("230338", "81733095", "Brightwave Media Ltd", BUSINESS),
    Holder("107999", "44930100", "Halcyon Lettings Ltd", BUSINESS),
)


def words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"[^a-z0-9\s-]", "", plain).replace("-", " ")
    found = [w for w in plain.split() if w not in _TITLES]
    while found and found[-1] in _SUFFIXES:
        found.pop()
    return found


def _first_names_agree(given: str, held: str) -> bool:
    return held.startswith(given) or given.startswith(held)


def compare(given: str, held: str) -> str:
    """MATCH, CLOSE_MATCH or NO_MATCH under the rule in this module's docstring."""
    a, b = words(given), words(held)
    if not a:
        return "NO_MATCH"
    if a == b:
        return "MATCH"
    if fuzz.token_sort_ratio(" ".join(a), " ".join(b)) >= CLOSE_SCORE:
        return "CLOSE_MATCH"
    if len(a) >= 2 and len(b) >= 2 and a[-1] == b[-1] and _first_names_agree(a[0], b[0]):
        return "CLOSE_MATCH"
    return "NO_MATCH"


async def holder(conn: AsyncConnection, sort_code: str, account_number: str) -> Holder | None:
    """Who holds the account: one of the bank's own customers, or the directory's entry."""
    ours = (
        await conn.execute(
            select(customers.c.name)
            .join(accounts, accounts.c.customer_id == customers.c.id)
            .where(accounts.c.sort_code == sort_code, accounts.c.account_number == account_number)
        )
    ).first()
    if ours is not None:
        return Holder(sort_code, account_number, ours.name)
    return next(
        (h for h in DIRECTORY if (h.sort_code, h.account_number) == (sort_code, account_number)),
        None,
    )


_REASONS = {  # (name result, account type agrees) -> (result, reason for a held business/personal)
    ("MATCH", False): ("CLOSE_MATCH", {BUSINESS: "BANM", PERSONAL: "PANM"}),
    ("CLOSE_MATCH", True): ("CLOSE_MATCH", {BUSINESS: "MBAM", PERSONAL: "MBAM"}),
    ("CLOSE_MATCH", False): ("CLOSE_MATCH", {BUSINESS: "BAMM", PERSONAL: "PAMM"}),
}


async def check(
    conn: AsyncConnection, name: str, sort_code: str, account_number: str, account_type: str
) -> dict[str, str]:
    """The CoP answer: Result, ReasonCode and, for a close match, the name the bank holds."""
    found = await holder(conn, sort_code, account_number)
    if found is None:
        return {"Result": "ACCOUNT_NOT_FOUND", "ReasonCode": "AC01"}
    by_name = compare(name, found.name)
    if by_name == "NO_MATCH":
        return {"Result": "NO_MATCH", "ReasonCode": "ANNM"}
    same_type = found.account_type == account_type
    if by_name == "MATCH" and same_type:
        return {"Result": "MATCH", "AccountType": found.account_type}
    result, reasons = _REASONS[(by_name, same_type)]
    return {
        "Result": result,
        "ReasonCode": reasons[found.account_type],
        "ActualName": found.name,
        "AccountType": found.account_type,
    }
