"""Mocked national health-data services for development and tests.

`mocks.app.create_app()` serves all of them from one Starlette app; `python -m mocks` is the CLI.
"""
