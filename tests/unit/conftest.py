"""Unit tests of each component alone, under our own mock (see unit_mocks.py): the
weakest kind of proof, what a component sends, not what AWS or Kubernetes do with it.

The `mocks` fixture gives each test a fresh UnitMocks through `pulumi.runtime.set_mocks`
and runs it on an event loop of this directory's own: the offline-plan tests elsewhere
in the suite close their loops and leave the thread without one, and the SDK needs a
current loop. Nothing else global is touched: set_mocks only sets the SDK's settings in
this thread's context, and the offline-plan tests run in contexts of their own.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pulumi
import pytest

from .unit_mocks import PROJECT, STACK, UnitMocks


def _give_thread_a_loop(loops: list) -> None:
    """The SDK's mock monitor wants an event loop in each executor thread: give it one
    we close at the end, rather than one left to the garbage collector."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loops.append(loop)


@pytest.fixture(scope="session")
def unit_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One loop for every unit test: the root stack that set_mocks registers once lives on it."""
    loop = asyncio.new_event_loop()
    thread_loops: list[asyncio.AbstractEventLoop] = []
    loop.set_default_executor(
        ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="unit-mocks", initializer=_give_thread_a_loop, initargs=(thread_loops,)
        )
    )
    yield loop
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    for thread_loop in thread_loops:
        thread_loop.close()


def _current_loop() -> asyncio.AbstractEventLoop | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:  # none (another test left the thread without one)
            return None


@pytest.fixture
def mocks(unit_loop) -> Iterator[UnitMocks]:
    """A fresh mock for one test, on the unit tests' loop; the thread's loop is given back after."""
    previous = _current_loop()
    asyncio.set_event_loop(unit_loop)
    recorder = UnitMocks()
    pulumi.runtime.set_mocks(recorder, project=PROJECT, stack=STACK, preview=False)
    try:
        yield recorder
    finally:
        leftovers = asyncio.all_tasks(unit_loop)
        for task in leftovers:
            task.cancel()
        unit_loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        asyncio.set_event_loop(previous)
