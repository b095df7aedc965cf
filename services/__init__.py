"""Kesu's runners and CLI (and, later, the case workflow in ``services/cases``)."""
