"""A small but honest core-banking API for local runs, demos and tests (see README.md)."""

from sandbox.app import create_app, prepare

__all__ = ["create_app", "prepare"]
