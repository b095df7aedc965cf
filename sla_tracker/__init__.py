"""SLA tracker: regulatory deadline clocks, warnings, breaches."""
