"""Healthpass Gateway: one GraphQL API over a city's national health-data services."""
