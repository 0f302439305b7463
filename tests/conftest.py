"""Shared pytest configuration. Fixtures for each stand-in live in tests/plugins/."""

pytest_plugins = [
    "tests.plugins.es_standin",
    "tests.plugins.confluence_mock",
]
