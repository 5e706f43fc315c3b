"""Payee and merchant names: a lookup of known merchants and patterns for people's names.

A word counts as part of a name when the training data never uses it outside an
entity annotation (so "please", "an", "agent" are never names) or when it was
annotated as a payee. After "to", "pay" or "send" such words are a payee; after
"at" an unknown word is a merchant; a short message that is only a capitalised
unknown name ("Alice Johnson") is a payee, which is how customers answer "who to?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.nlu.entities.phrases import PhraseFinder
from bot.nlu.entities.spans import Found
from bot.nlu.text import Token


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PAYEE_TRIGGERS = frozenset(
    {"to", "pay", "paying", "send", "sending", "transfer", "wire", "give", "add", "payee", "remove"}
)
MERCHANT_TRIGGERS = frozenset({"at"})
# Never names, whatever the training data says.
STOP_WORDS = _words(
    """a an the my me myself him her them us it this that these those some all any his their our
    your you i we he she they and or but please now then today tomorrow yesterday money cash
    account back again also too instead bill rent funds balance someone somebody human agent
    person from on in at for with by via of into onto over"""
)
# "want to continue": after these, "to" starts a verb, not a payee.
_INFINITIVE = _words(
    """want wants wanted need needs like love going have has able how trying try wish prefer
    rather ready time way"""
)
_POSSESSIVE = frozenset({"'s", "’s"})
_NAME_TOKEN = re.compile(r"^[A-Za-z][A-Za-z'’.\-]*$")
_SHORT_MESSAGE = 4


class NameFinder:
    def __init__(
        self, merchants: dict[str, str], payee_words: Iterable[str], common_words: Iterable[str]
    ) -> None:
        self._merchants = PhraseFinder("merchant", merchants)
        self._payee_words = frozenset(payee_words) - STOP_WORDS
        self._common = (frozenset(common_words) - self._payee_words) | STOP_WORDS

    def known_merchants(self, text: str) -> list[Found]:
        return self._merchants.find(text)

    def unknown_merchants(self, text: str, tokens: list[Token]) -> list[Found]:
        return self._after(text, tokens, MERCHANT_TRIGGERS, "merchant")

    def payees(self, text: str, tokens: list[Token]) -> list[Found]:
        """`tokens` are the ones no other entity took; adjacency is by index in the message."""
        found = self._after(text, tokens, PAYEE_TRIGGERS, "payee")
        if found:
            return found
        short = len(tokens) <= _SHORT_MESSAGE
        return [
            self._span(text, run, "payee")
            for run in self._runs(
                tokens,
                lambda t: (
                    t.lower in self._payee_words
                    or (short and t.text[:1].isupper() and self._is_name(t))
                ),
            )
        ]

    def _after(
        self, text: str, tokens: list[Token], triggers: frozenset[str], entity: str
    ) -> list[Found]:
        found: list[Found] = []
        for i, token in enumerate(tokens[:-1]):
            nxt = tokens[i + 1]
            infinitive = token.lower == "to" and i > 0 and tokens[i - 1].lower in _INFINITIVE
            if token.lower in triggers and nxt.start - token.end <= 1 and not infinitive:
                run = self._run_from(tokens, i + 1)
                if run:
                    found.append(self._span(text, run, entity))
        return found

    def _is_name(self, token: Token) -> bool:
        return bool(_NAME_TOKEN.match(token.text)) and token.lower not in self._common

    @staticmethod
    def _capitalised(token: Token) -> bool:
        """After a trigger, "Mark Jones" is a name even though "mark" is a common word."""
        return (
            token.text[:1].isupper()
            and bool(_NAME_TOKEN.match(token.text))
            and token.lower not in STOP_WORDS
        )

    def _run_from(self, tokens: list[Token], i: int) -> list[Token]:
        """Up to three adjacent name words; a possessive inside is kept ("Joe's Diner")."""
        run: list[Token] = []
        while i < len(tokens) and len(run) < 3:
            token = tokens[i]
            possessive = bool(run) and token.lower in _POSSESSIVE and token.start == run[-1].end
            named = self._is_name(token) or self._capitalised(token)
            if not (possessive or named) or (run and token.start - run[-1].end > 1):
                break
            run.append(token)
            i += 1
        while run and run[-1].lower in _POSSESSIVE:  # "bob's account" -> "bob"
            run.pop()
        return run

    def _runs(self, tokens: list[Token], accept: Callable[[Token], bool]) -> list[list[Token]]:
        runs: list[list[Token]] = []
        for token in tokens:
            if not accept(token):
                continue
            if runs and token.start - runs[-1][-1].end <= 1 and len(runs[-1]) < 3:
                runs[-1].append(token)
            else:
                runs.append([token])
        return runs

    @staticmethod
    def _span(text: str, run: list[Token], entity: str) -> Found:
        start, end = run[0].start, run[-1].end
        return Found(entity, text[start:end], start, end)
