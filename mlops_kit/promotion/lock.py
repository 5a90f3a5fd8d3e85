"""One promotion (or rollback) per model and environment at a time: a lease in DynamoDB.

The lock is an item `promotion#<model>` in the environment's lock table, written only when absent
(conditional PutItem). The loser learns who holds it and since when. A lock is stale, and taken
over with a write conditional on the old holder's token, when its lease expired, when its holder
ran on this host and that process is gone, or when its holder was this very process and no run
here still holds it (a run whose release failed because AWS was unreachable).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import KitError, LockHeld
from mlops_kit.processes import pid_alive
from mlops_kit.promotion.conditional_writes import write_if

DEFAULT_LEASE_SECONDS = 15 * 60
RENEW_EVERY_SECONDS = 30.0

# Tokens of locks held by runs in this process (see the module docstring).
_held_here: set[str] = set()
_held_guard = threading.Lock()


@dataclass(frozen=True)
class LockHolder:
    owner: str
    host: str
    pid: int
    token: str
    acquired_at: str
    expires_at: float

    def describe(self) -> str:
        return f"locked by {self.owner} (pid {self.pid} on {self.host}) since {self.acquired_at}"


def is_stale(holder: LockHolder, *, now: float, host: str, pid: int) -> bool:
    """True when nobody can still be working under `holder`'s lock."""
    if holder.expires_at < now:
        return True
    if holder.host != host:
        return False
    if holder.pid == pid:
        with _held_guard:
            return holder.token not in _held_here
    return not pid_alive(holder.pid)


class PromotionLock:
    """Held while promoting or rolling back `model` in `env`; use as a context manager."""

    def __init__(
        self,
        clients: AwsClients,
        env: Environment,
        model: str,
        *,
        owner: str,
        purpose: str = "promotion",
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.clients = clients
        self.env = env
        self.model = model
        self.owner = owner
        self.purpose = purpose
        self.lease_seconds = lease_seconds
        self.table = ResourceNames(env).promotion_lock_table
        self.lock_id = f"promotion#{model}"
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._renewed = 0.0
        self.held = False

    def _item(self, now: float) -> dict[str, dict[str, str]]:
        return {
            "lock_id": {"S": self.lock_id},
            "token": {"S": self.token},
            "owner": {"S": self.owner},
            "purpose": {"S": self.purpose},
            "host": {"S": self.host},
            "pid": {"N": str(self.pid)},
            "acquired_at": {"S": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")},
            "expires_at": {"N": f"{now + self.lease_seconds:.3f}"},
        }

    def holder(self) -> LockHolder | None:
        """Who holds the lock now (None when free)."""
        response = self.clients.call(
            f"read the promotion lock in {self.table}",
            self.clients.client("dynamodb").get_item,
            TableName=self.table,
            Key={"lock_id": {"S": self.lock_id}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        return LockHolder(
            owner=item.get("owner", {}).get("S", "?"),
            host=item.get("host", {}).get("S", "?"),
            pid=int(item.get("pid", {}).get("N", "0")),
            token=item.get("token", {}).get("S", ""),
            acquired_at=item.get("acquired_at", {}).get("S", "?"),
            expires_at=float(item.get("expires_at", {}).get("N", "0")),
        )

    def acquire(self) -> PromotionLock:
        """Take the lock, recovering a stale one; raise `LockHeld` naming the holder otherwise."""
        action = f"take the promotion lock of {self.model} in {self.env.name}"
        now = time.time()
        with _held_guard:
            _held_here.add(self.token)
        try:
            if write_if(
                self.clients,
                action,
                "put_item",
                TableName=self.table,
                Item=self._item(now),
                ConditionExpression="attribute_not_exists(lock_id)",
            ):
                self.held = True
                self._renewed = now
                return self
            holder = self.holder()
            if holder is not None and is_stale(holder, now=now, host=self.host, pid=self.pid):
                if write_if(
                    self.clients,
                    action,
                    "put_item",
                    TableName=self.table,
                    Item=self._item(now),
                    ConditionExpression="#t = :old",
                    ExpressionAttributeNames={"#t": "token"},
                    ExpressionAttributeValues={":old": {"S": holder.token}},
                ):
                    self.held = True
                    self._renewed = now
                    return self
                holder = self.holder()
        finally:
            if not self.held:
                with _held_guard:
                    _held_here.discard(self.token)
        where = f"{self.model} in {self.env.name}"
        if holder is None:
            raise LockHeld(f"{where}: the promotion lock changed hands while taking it; try again")
        raise LockHeld(
            f"{where} is {holder.describe()}",
            hint=f"another {self.purpose} is in progress; the lock expires at "
            f"{datetime.fromtimestamp(holder.expires_at, UTC).isoformat(timespec='seconds')}",
        )

    def renew(self, *, force: bool = False) -> None:
        """Extend the lease (at most every `RENEW_EVERY_SECONDS` unless `force`)."""
        now = time.time()
        if not self.held or (not force and now - self._renewed < RENEW_EVERY_SECONDS):
            return
        renewed = write_if(
            self.clients,
            f"renew the promotion lock of {self.model} in {self.env.name}",
            "update_item",
            TableName=self.table,
            Key={"lock_id": {"S": self.lock_id}},
            UpdateExpression="SET expires_at = :e",
            ConditionExpression="#t = :mine",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues={
                ":e": {"N": f"{now + self.lease_seconds:.3f}"},
                ":mine": {"S": self.token},
            },
        )
        if not renewed:
            self.held = False
            raise LockHeld(f"the promotion lock of {self.model} in {self.env.name} was taken over while held")
        self._renewed = now

    def release(self) -> None:
        """Give the lock back (only if still ours). The process forgets it even if AWS is unreachable,
        so a later run here recovers it."""
        with _held_guard:
            _held_here.discard(self.token)
        if not self.held:
            return
        self.held = False
        write_if(
            self.clients,
            f"release the promotion lock of {self.model} in {self.env.name}",
            "delete_item",
            TableName=self.table,
            Key={"lock_id": {"S": self.lock_id}},
            ConditionExpression="#t = :mine",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues={":mine": {"S": self.token}},
        )

    def __enter__(self) -> PromotionLock:
        return self.acquire()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self.release()
        except KitError:
            if exc is None:
                raise
