"""Shared fixtures for the simulator tests (pure Python: no database needed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from simlab import lab_cluster

from simulator.cluster import Cluster


@pytest.fixture
def cluster() -> Cluster:
    return lab_cluster()


@pytest.fixture(scope="session")
def make_lab() -> Callable[[], Cluster]:
    """The lab_cluster factory, for hypothesis tests (which cannot take function fixtures)."""
    return lab_cluster
