"""Fixtures shared by the tests: the sandbox API on a free loopback port."""

import pytest

from anchor_assets.sandbox import FictionalShow, SandboxServer


@pytest.fixture(scope="session")
def sandbox_show() -> FictionalShow:
    """The default fictional show, as of today (UTC); built once, since it never changes."""
    return FictionalShow()


@pytest.fixture
def sandbox(sandbox_show):
    """The sandbox API serving the default show on a free port, with its own request log and
    faults for each test."""
    with SandboxServer(sandbox_show, port=0) as server:
        yield server
