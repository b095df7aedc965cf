"""Case workflow and staff API: assignment, extensions, decisions, reviews, staff users and the audit log."""
