"""AWS calls that do not depend on each other, made at the same time.

Each call waits mostly on the network, so a few threads overlap their round trips. The first
failure is raised after every call has finished (no call is left running behind the caller's back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, overload

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

MAX_THREADS = 8


@overload
def concurrently(a: Callable[[], A], b: Callable[[], B], /) -> tuple[A, B]: ...
@overload
def concurrently(a: Callable[[], A], b: Callable[[], B], c: Callable[[], C], /) -> tuple[A, B, C]: ...
def concurrently(*calls: Callable[[], Any]) -> tuple[Any, ...]:
    """The results of `calls`, in order, made concurrently."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    return tuple(future.result() for future in futures)


def map_concurrently(fn: Callable[[T], R], items: Iterable[T], *, threads: int = MAX_THREADS) -> list[R]:
    """`[fn(item) for item in items]`, with up to `threads` calls at a time."""
    listed: Sequence[T] = list(items)
    if len(listed) <= 1:
        return [fn(item) for item in listed]
    with ThreadPoolExecutor(max_workers=min(threads, len(listed))) as pool:
        futures = [pool.submit(fn, item) for item in listed]
    return [future.result() for future in futures]
