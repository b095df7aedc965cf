"""Kesu's common library: event contracts, bus, outbox/inbox, storage, settings."""
