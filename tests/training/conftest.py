"""Fixtures shared by the training tests."""

import pytest


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / "cache")
