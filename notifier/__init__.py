"""Notifier: tells channel systems, staff and customers what happened, with guaranteed delivery."""
