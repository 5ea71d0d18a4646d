"""Backpressure: a bounded number of requests use the database at once, a bounded queue waits.

Why: a request's sync work runs in several thread-pool calls (dependencies, then the endpoint,
which commits a read; a write commits in one more) and holds its database connection across
them. Unbounded, a burst fills the thread pool with requests waiting for a connection while
the requests that own the connections wait for a thread: nothing moves until the pool times
out. Admitted through this gate, at most `slots` requests (no more than the connection pool
holds, fewer than the thread pool's threads, and at most `CCR_REQUEST_CONCURRENCY`) own a
session at a time, so each one always finds a connection and a thread, and the others
wait here, on the event loop, holding neither. Beyond `queue` waiting requests, or after
`wait_seconds` in the queue, a request is answered 503 with `Retry-After` at once: never a
hang, never a pool timeout.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from app.errors import AppError

OVERLOADED_DESCRIPTION = "Too many requests in progress; retry after `Retry-After` seconds"


class Overloaded(AppError):
    status, slug, title = 503, "overloaded", "Service overloaded"

    def __init__(self, retry_after: int) -> None:
        super().__init__(OVERLOADED_DESCRIPTION, headers={"Retry-After": str(retry_after)})


def pool_capacity(engine: Engine) -> int | None:
    """How many connections the engine's pool can hand out at once (None: not bounded)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size() + max(pool._max_overflow, 0)
    return None


@dataclass
class _LoopState:
    slots: asyncio.Semaphore
    waiting: int = 0


@dataclass
class RequestGate:
    slots: int
    queue: int
    wait_seconds: float
    # asyncio primitives belong to one event loop; each loop (tests start several) has its own.
    _states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
            # Fewer than the threads, so an admitted request never waits for a thread forever.
            state = _LoopState(asyncio.Semaphore(max(1, min(self.slots, threads - 1))))
            self._states[loop] = state
        return state

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait_seconds / 4))

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        state = self._state()
        if state.slots.locked() and state.waiting >= self.queue:
            raise Overloaded(self.retry_after)
        state.waiting += 1
        try:
            await asyncio.wait_for(state.slots.acquire(), self.wait_seconds)
        except TimeoutError:
            raise Overloaded(self.retry_after) from None
        finally:
            state.waiting -= 1
        try:
            yield
        finally:
            state.slots.release()
