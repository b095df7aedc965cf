"""Intake: the HTTP API channel systems post complaints to."""
