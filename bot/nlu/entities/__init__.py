"""Entity extraction: amounts, currencies, accounts, cards, dates, counts, merchants, payees
and the chat apps a customer links."""

from bot.nlu.entities.extractor import EntityExtractor, Lexicon

__all__ = ["EntityExtractor", "Lexicon"]
