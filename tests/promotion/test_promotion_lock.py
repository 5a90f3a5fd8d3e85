"""One promotion per model and environment: the lock, its loser's message, stale-lock recovery,
and 8 promotions racing for it."""

from __future__ import annotations

import subprocess
import threading

import pytest
from promotion_support import MODEL

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import LockHeld
from mlops_kit.promotion.lock import PromotionLock
from mlops_kit.promotion.promote import PromotionResult, promote_model_version
from tests.conftest import admin_clients

pytestmark = [pytest.mark.emulator]


def lock(env: Environment, owner: str, lease_seconds: float = 900) -> PromotionLock:

    return PromotionLock(admin_clients(env), env, "lock-test", owner=owner, lease_seconds=lease_seconds)


def test_the_loser_is_told_who_holds_the_lock_and_since_when(
    promotion_platform: dict[str, Environment],
) -> None:
    staging = promotion_platform["staging"]
    with lock(staging, "alice"), pytest.raises(LockHeld) as raised:
        lock(staging, "bob").acquire()
    assert "locked by alice" in str(raised.value) and " since " in str(raised.value)
    with lock(staging, "bob"):
        pass  # released: free again


def test_an_expired_lock_is_taken_over(promotion_platform: dict[str, Environment]) -> None:
    staging = promotion_platform["staging"]
    lock(staging, "crashed", lease_seconds=-1).acquire()
    with lock(staging, "bob") as taken:
        assert taken.holder() is not None and taken.holder().owner == "bob"  # type: ignore[union-attr]


def test_the_lock_of_a_process_gone_from_this_host_is_taken_over(
    promotion_platform: dict[str, Environment],
) -> None:
    staging = promotion_platform["staging"]
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = lock(staging, "crashed")
    stale.pid = dead.pid  # the lock as a process that has since exited would have written it
    stale.acquire()
    with lock(staging, "bob") as taken:
        assert taken.holder().owner == "bob"  # type: ignore[union-attr]


@pytest.mark.slow
def test_eight_concurrent_promotions_one_wins_the_others_hear_the_lock_message(
    promotion_platform: dict[str, Environment], register_dev_version
) -> None:
    from mlops_kit.registry.versions import list_versions

    staging = promotion_platform["staging"]
    dev = register_dev_version()
    before = len(list_versions(admin_clients(staging), staging, MODEL))
    start = threading.Barrier(8)
    results: list[PromotionResult] = []
    refusals: list[LockHeld] = []
    others: list[BaseException] = []

    def promote() -> None:
        start.wait()
        try:
            results.append(promote_model_version(MODEL, "staging", version=dev.version))
        except LockHeld as exc:
            refusals.append(exc)
        except BaseException as exc:
            others.append(exc)

    threads = [threading.Thread(target=promote) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not others, others
    assert len(results) == 1 and results[0].outcome == "promoted"
    assert len(refusals) == 7
    assert all("is locked by" in str(r) and "since" in str(r) for r in refusals)
    versions = list_versions(admin_clients(staging), staging, MODEL)
    assert len(versions) == before + 1
    assert [v for v in versions if v.lineage.source_version_arn == dev.arn] == [versions[-1]]
    assert ResourceNames(staging).endpoint(MODEL)
