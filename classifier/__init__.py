"""Classifier: business line, cause, flags, emotion, severity and complexity of each complaint."""
