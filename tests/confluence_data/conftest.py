"""Fixtures for the mock Confluence data tests: small generated sites (fast to build)."""

import pytest

from fixtures.confluence.generator import generate_site


@pytest.fixture(scope="session")
def cloud_site():
    """A shared small Cloud site. Read-only: tests that mutate use ``fresh_site``."""
    return generate_site("small", seed=7, flavor="cloud")


@pytest.fixture(scope="session")
def dc_site():
    """A shared small Data Center site. Read-only."""
    return generate_site("small", seed=7, flavor="datacenter")


@pytest.fixture(params=["cloud", "datacenter"])
def fresh_site(request):
    """A new small site per test (and per flavour), free to mutate."""
    return generate_site("small", seed=11, flavor=request.param)
