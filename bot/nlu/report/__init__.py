"""Offline NLU tools: evaluation, reports and charts, the BANKING77 and CLINC150 readers.

Used by `python -m bot evaluate`, bench/, scripts/ and tests; nothing at run time (the
model, the classifier, the server) imports this package. The charts need matplotlib,
the optional `report` extra.
"""
