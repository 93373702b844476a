"""Tests of the mocked national services (`mocks/`)."""
