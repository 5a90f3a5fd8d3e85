"""The kit's exceptions. Every error a user can cause or meet is one of these.

The CLI maps them to exit codes: `BadInput` -> 2, `DriftFound` -> 3, every other `KitError` -> 1.
"""

from __future__ import annotations


class KitError(Exception):
    """Base class: a failure the kit can explain in one line."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, argument: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # The input the message is about, in the core's words (`env`, `version`, `param DataUri=...`):
        # the CLI names it as its option (`--env`), other callers as they like.
        self.argument = argument

    def __str__(self) -> str:
        text = f"{self.argument}: {self.message}" if self.argument else self.message
        return text if not self.hint else f"{text} ({self.hint})"


class BadInput(KitError):
    """The user gave an argument, file or value the kit cannot use."""

    exit_code = 2


class ConfigError(BadInput):
    """An environment file is missing or invalid; `problems` holds one `file: field: message` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class NotFound(KitError):
    """A resource the user named (model, version, execution, endpoint) does not exist."""

    exit_code = 2


class OperationFailed(KitError):
    """An operation started but did not finish; the message says what state was left."""


class AwsError(OperationFailed):
    """An AWS call failed in a way the kit could not recover from (mapped from botocore)."""


class AccessDenied(AwsError):
    """The caller's identity lacks a permission."""


class Throttled(AwsError):
    """AWS kept throttling after retries."""


class EndpointUnreachable(AwsError):
    """The AWS endpoint (or the local emulator) could not be reached."""


class LockHeld(OperationFailed):
    """Another promotion holds the lock for this model and environment."""


class GateFailed(OperationFailed):
    """A quality gate blocked the operation; nothing was changed."""


class DriftFound(KitError):
    """The drift check found drift: not a failure of the kit, but a signal for schedulers."""

    exit_code = 3
