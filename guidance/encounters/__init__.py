"""Encounters, the clinical record: the workflow of one encounter (steps, finalize, reviews,
discard), its forms, the summary with print and PDF, and their views."""
