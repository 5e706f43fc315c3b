"""Offline tools for conversation designers: conversation tests as data, `validate`, the
shell. Nothing that serves customers imports them."""
