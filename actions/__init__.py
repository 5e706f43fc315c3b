"""Action handlers, one module per banking area, and the typed client for the bank's API."""
