"""Adapters for where conversations live (MongoDB) and shared turn state (Redis or in-process)."""
