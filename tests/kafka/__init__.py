"""Tests against a Kafka-protocol broker (and the in-process bus, which must behave the same)."""
