"""The clinical engine: the pathway's rules, doses, the DELTA-P score and screening schedule,
the IVIG course's review window, and the fingerprint of what a page showed
(`fingerprints.py`). Plain Python over plain data: nothing of Django, nothing of the rest of
the app (an import-linter contract holds it so)."""
