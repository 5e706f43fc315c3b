"""Handing a conversation to a person: agents, presence, the queue, and what they do to it."""
