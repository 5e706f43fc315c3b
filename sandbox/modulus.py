"""UK sort code and account number modulus checking (VocaLink's published algorithm).

No maintained PyPI package does this (`ukmodulus` was last released in 2017 and
`uk-modulus-check` ships no weight table), so this implements the three standard methods,
MOD10, MOD11 and DBLAL, for the rows of VocaLink's weight table (valacdos.txt) that cover the
sort codes the sandbox uses. Rows with exceptions are not implemented, so none is included.
A sort code with no row cannot be checked and passes, as VocaLink's rules say: that includes
the sandbox's own 04-00-04, whose account numbers were made up before checking existed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WeightRow:
    start: str  # sort code range, inclusive
    end: str
    method: str  # MOD10 | MOD11 | DBLAL
    weights: tuple[int, ...]  # 14: u v w x y z (sort code) a b c d e f g h (account number)


def _row(start: str, end: str, method: str, weights: str) -> WeightRow:
    return WeightRow(start, end, method, tuple(int(w) for w in weights.split()))


# Copied from VocaLink's valacdos.txt for the sort code ranges the sandbox's directory uses.
WEIGHT_TABLE = (
    _row("040400", "041399", "DBLAL", "1 3 4 3 9 3 1 7 5 5 4 5 2 4"),
    _row("089000", "089999", "MOD10", "0 0 0 0 0 0 7 1 3 7 1 3 7 1"),
    _row("102400", "107999", "MOD11", "0 0 0 0 0 0 8 7 6 5 4 3 2 1"),
    _row("230338", "230338", "MOD11", "0 0 0 0 0 0 0 7 6 5 4 3 2 1"),
    _row("230338", "230338", "DBLAL", "2 1 2 1 2 1 2 1 2 1 2 1 2 1"),
)


def _passes(row: WeightRow, digits: str) -> bool:
    products = [int(d) * w for d, w in zip(digits, row.weights, strict=True)]
    if row.method == "DBLAL":  # add the digits of each product, not the products
        return sum(p // 10 + p % 10 for p in products) % 10 == 0
    return sum(products) % (10 if row.method == "MOD10" else 11) == 0


def rows_for(sort_code: str) -> list[WeightRow]:
    return [row for row in WEIGHT_TABLE if row.start <= sort_code <= row.end]


def is_valid(sort_code: str, account_number: str) -> bool:
    """True unless a weight-table row applies and the pair fails it (every row must pass)."""
    if len(sort_code) != 6 or len(account_number) != 8:
        return False
    if not (sort_code + account_number).isdigit():
        return False
    return all(_passes(row, sort_code + account_number) for row in rows_for(sort_code))
