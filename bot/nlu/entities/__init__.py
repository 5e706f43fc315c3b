"""Entity extraction: amounts, currencies, accounts, dates, counts, merchants and payees."""

from bot.nlu.entities.extractor import EntityExtractor, Lexicon

__all__ = ["EntityExtractor", "Lexicon"]
