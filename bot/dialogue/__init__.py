"""The dialogue manager: flows and responses as data, state derived from the event log."""
