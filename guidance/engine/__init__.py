"""The clinical engine: the pathway's rules, doses, the DELTA-P score and screening schedule,
and the IVIG course's review window. Plain Python over plain data: nothing of Django, nothing
of the rest of the app (an import-linter contract holds it so)."""
