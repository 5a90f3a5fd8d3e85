"""botocore errors stop here: each becomes one of the kit's errors with a message for the user."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from mlops_kit.errors import AccessDenied, AwsError, EndpointUnreachable, KitError, NotFound, Throttled

_NOT_FOUND_CODES = {
    "ResourceNotFound",
    "ResourceNotFoundException",
    "NoSuchKey",
    "NoSuchBucket",
    "NoSuchEntity",
    "404",
}
_THROTTLE_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException", "SlowDown"}
_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"}


def map_client_error(error: Exception, action: str) -> KitError:
    """The kit error for a botocore failure while doing `action` (e.g. "describe endpoint x")."""
    if isinstance(error, EndpointConnectionError):
        return EndpointUnreachable(
            f"cannot reach AWS to {action}: {error}",
            hint="is the emulator running? `kit local status`",
        )
    if isinstance(error, NoCredentialsError):
        return AccessDenied(
            f"no AWS credentials to {action}", hint="configure a profile or run `kit local up`"
        )
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = error.response.get("Error", {}).get("Message", "") or code
        if code in _NOT_FOUND_CODES or "does not exist" in message or "not found" in message.lower():
            return NotFound(f"{action}: {message}")
        if code in _THROTTLE_CODES:
            return Throttled(f"{action}: AWS kept throttling ({message})")
        if code in _DENIED_CODES:
            return AccessDenied(f"{action}: access denied ({message})")
        return AwsError(f"{action}: {code}: {message}")
    if isinstance(error, BotoCoreError):
        return AwsError(f"{action}: {error}")
    return AwsError(f"{action}: {error}")
