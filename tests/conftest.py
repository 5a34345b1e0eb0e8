"""Fixtures every folder may use: one sandbox for the whole session, reset for each test.

Starting and stopping a sandbox server costs about 0.25 s (uvicorn's shutdown most of
it); resetting one costs about 0.05 s. So tests that want the sandbox as it ships
(default options) share one server per session (per xdist worker), reset before each
test: every API's records reseeded, tokens, rate windows, fault dice and the request
log cleared, and every option restored (a test may change `sandbox.options` freely).
A test that needs other options starts a server of its own (see tests/e2e/conftest.py,
`@pytest.mark.sandbox_options(...)`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer

DEFAULTS = SandboxOptions()


@pytest.fixture(scope="session")
def session_sandbox() -> Iterator[SandboxServer]:
    """The session's sandbox server (default options); use `shared_sandbox`, which resets it."""
    with SandboxServer(SandboxOptions()) as server:
        yield server


def reset_sandbox(server: SandboxServer) -> SandboxServer:
    """`server` as a fresh one: default options (the same object, changed in place: the
    running app reads it on every request) and freshly seeded state."""
    defaults = SandboxOptions()
    for field in dataclasses.fields(SandboxOptions):
        setattr(server.options, field.name, getattr(defaults, field.name))
    server.state.reset()
    return server


@pytest.fixture
def shared_sandbox(session_sandbox: SandboxServer) -> SandboxServer:
    """The session's sandbox, reset: as good as a new one with default options."""
    return reset_sandbox(session_sandbox)
