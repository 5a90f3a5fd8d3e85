"""Where the engine enters moto: the two authorization hooks every moto response calls, and the
account look-up that maps root keys to their account. Errors are rendered in each service's protocol."""

from __future__ import annotations

import json
import warnings
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException

from local_aws.iam.authorization import Refusal, authorize, log, settings
from local_aws.iam.principals import root_account

_QUERY_PROTOCOLS = ("query", "ec2", "rest-xml")


class _Denied(HTTPException):
    """Carries an already-serialized error body through moto's `call_action`."""

    def __init__(self, body: Any, status: int) -> None:
        super().__init__(description=body)
        self.code = status


def _refused(code: str, refusal: Refusal) -> Exception:
    """moto's S3 error type (its S3 handlers catch only that), carrying the HTTP status to send."""
    from moto.s3.exceptions import S3ClientError

    error = S3ClientError(code, refusal.message)
    error.local_aws_status = refusal.status  # type: ignore[attr-defined]
    return error


def _service_error(response: Any, refusal: Refusal) -> _Denied:
    from moto.core.responses import ActionResult
    from moto.core.utils import get_service_model

    try:
        model = get_service_model(response.boto3_service_name)
        query_style = model.protocol in _QUERY_PROTOCOLS or "awsQueryCompatible" in model.metadata
    except Exception:  # a service moto answers without a botocore model: answer in JSON
        query_style = False
    code = refusal.code
    if code == "AccessDenied" and not query_style:
        code = "AccessDeniedException"
    try:
        with warnings.catch_warnings():  # moto warns that the service's model lacks the error shape
            warnings.simplefilter("ignore")
            _, _, body = response.serialized(ActionResult(_refused(code, refusal)))
    except Exception:
        body = json.dumps({"__type": code, "message": refusal.message, "Message": refusal.message})
    return _Denied(body, refusal.status)


def _judged(response: Any, resource: str, s3: bool) -> Refusal | None:
    """The refusal for this request, if any. An error inside the engine refuses (fails closed)."""
    try:
        authorize(response, resource, s3=s3)
    except Refusal as refusal:
        if settings.report_only:
            log.warning("would deny: %s", refusal.message)
            return None
        return refusal
    except Exception:
        log.exception("IAM evaluation failed; the request is refused")
        return Refusal("AccessDenied", "Access Denied (the emulator could not evaluate IAM for this request)")
    return None


def _authorize_normal(self: Any, resource: str = "*") -> None:
    refusal = _judged(self, resource, s3=False)
    if refusal is not None:
        raise _service_error(self, refusal)


def _authorize_s3(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
    if bucket_name and not key_name and self.data.get("Action") == "DeleteObject":
        keys = _keys_to_delete(self.body)  # DeleteObjects
        if keys is None:
            unreadable = Refusal(
                "AccessDenied", "Access Denied (the emulator could not read the keys to delete)"
            )
            raise _refused(unreadable.code, unreadable)
        paths = [f"{bucket_name}/{key}" for key in keys]
    else:
        paths = [f"{bucket_name or '*'}/{key_name}" if key_name else (bucket_name or "*")]
    for path in paths:
        refusal = _judged(self, f"arn:aws:s3:::{path}", s3=True)
        if refusal is not None:
            raise _refused(refusal.code, refusal)
    source = self.headers.get("x-amz-copy-source")
    if source and key_name and self.data.get("Action") == "PutObject":
        _authorize_copy_source(self, unquote(source).lstrip("/").split("?versionId=")[0])


def _authorize_copy_source(response: Any, source: str) -> None:
    """CopyObject also needs s3:GetObject on the source object (AWS checks both)."""
    response.data["Action"] = "GetObject"
    try:
        refusal = _judged(response, f"arn:aws:s3:::{source}", s3=True)
    finally:
        response.data["Action"] = "PutObject"
    if refusal is not None:
        raise _refused(refusal.code, refusal)


def _keys_to_delete(body: Any) -> list[str] | None:
    """The keys of a DeleteObjects request: S3 authorizes s3:DeleteObject on each. The emulator
    refuses the whole request when one key is refused (AWS reports per-key errors instead)."""
    import xmltodict

    try:
        objects = xmltodict.parse(body)["Delete"].get("Object") or []
    except Exception:
        return None
    objects = objects if isinstance(objects, list) else [objects]
    return [str(item.get("Key", "")) for item in objects]


def _replace_bucket_policy_check() -> None:
    """moto's S3 handlers read bucket policies themselves with its partial evaluator (a statement whose
    Condition is not met counts as a Deny, so `Deny if aws:SecureTransport is false` refuses every
    object write). The engine has evaluated the bucket policy already: moto's check stays neutral."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL  # type: ignore[method-assign]


def _root_caller_identity() -> None:
    """GetCallerIdentity names the account root as AWS does (moto answers `user/moto`)."""
    from moto.sts.models import STSBackend

    original = STSBackend.get_caller_identity

    def get_caller_identity(self: Any, access_key_id: str, region: str) -> tuple[str, str, str]:
        account = root_account(access_key_id)
        if account is not None:
            return account, f"arn:aws:iam::{account}:root", account
        return original(self, access_key_id, region)  # type: ignore[no-any-return]

    STSBackend.get_caller_identity = get_caller_identity  # type: ignore[method-assign]


def install_hooks() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.responses import BaseResponse

    original_key = BaseResponse.get_access_key
    original_account = BaseResponse.get_current_account

    def get_access_key(self: Any) -> str:
        # moto recognises only 20-character upper-case keys; root and service keys are others.
        authorization = self.headers.get("Authorization") or ""
        if "Credential=" in authorization:
            return authorization.partition("Credential=")[2].partition("/")[0]
        return original_key(self)  # type: ignore[no-any-return]

    def get_current_account(self: Any) -> str:
        account = root_account(self.get_access_key())
        return account if account is not None else original_account(self)

    original_serialized = BaseResponse.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        status, headers, body = original_serialized(self, action_result)
        return getattr(action_result.result, "local_aws_status", status), headers, body

    BaseResponse.serialized = serialized  # type: ignore[method-assign]
    _root_caller_identity()
    _replace_bucket_policy_check()
    BaseResponse.get_access_key = get_access_key  # type: ignore[method-assign]
    BaseResponse.get_current_account = get_current_account  # type: ignore[method-assign]
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_normal  # type: ignore[method-assign]
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = _authorize_s3  # type: ignore[method-assign,assignment]
