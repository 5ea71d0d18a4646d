"""Fixtures of the webhook tests: a real HTTP receiver on a loopback port, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.webhooks.receiver import Receiver, receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client
