"""Imported by the scoring pool's fork server: the language model and every lexicon load once, before workers fork.

Each worker forked from the server inherits them, instead of spending ~0.7 s loading the model itself.
"""

from core.feedback import sentiment

sentiment.load_scorers()
