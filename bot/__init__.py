"""Teller's conversation engine: NLU, dialogue, auth, stores and the turn that ties them."""
