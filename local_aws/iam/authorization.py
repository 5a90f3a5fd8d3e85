"""One request's authorization: the caller, its signature, the action, the resource, the decision."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from local_aws.iam import web_identity
from local_aws.iam.decision import Decision, decide
from local_aws.iam.matching import Unsupported
from local_aws.iam.policy import Caller
from local_aws.iam.principals import credential_for, find_role, identity_policies, oidc_provider
from local_aws.iam.resource_policies import resource_policy_for, trust_policy
from local_aws.iam.resources import IAM_PREFIX, S3_ACTIONS, request_params, resource_arn, service_context

log = logging.getLogger("local_aws.iam")

# Header through which the emulator's own extensions, acting as a service, name the resource on
# whose behalf they act (aws:SourceArn); honoured for service callers only.
SOURCE_ARN_HEADER = "x-local-aws-source-arn"
# Services the kit passes roles to, and the service principal AWS puts in iam:PassedToService.
_PASS_ROLE_FIELDS = ("RoleArn", "ExecutionRoleArn")


@dataclass
class Settings:
    """verify_signatures: check each request's SigV4 signature against the key's secret (about two
    thirds of the engine's cost per request); without it an access key id alone identifies the caller.
    report_only: log each refusal as `would deny` and serve the request anyway: to list everything a
    workflow lacks in one run while writing policies (`LOCAL_AWS_IAM_REPORT_ONLY=1` in the emulator's
    environment); never for tests or the demo."""

    verify_signatures: bool = True
    report_only: bool = False


settings = Settings()


@dataclass(frozen=True)
class Refusal(Exception):
    """The request is refused: AWS's error code, message and HTTP status."""

    code: str
    message: str
    status: int = 403


def _between(text: str, start: str, end: str) -> str:
    return text.partition(start)[2].partition(end)[0]


def _check_signature(response: Any, secret: str, token: str | None, s3: bool, access_key: str) -> None:
    from botocore.credentials import Credentials
    from moto.iam.access_control import IAMRequest, S3IAMRequest

    authorization = response.headers["Authorization"]
    scope = _between(authorization, "Credential=", ",").split("/")
    request = object.__new__(S3IAMRequest if s3 else IAMRequest)
    content_type = response.headers.get("Content-Type") or ""
    form_post = content_type.startswith("application/x-www-form-urlencoded")
    path = response.raw_path
    query = response.parsed_url.query if hasattr(response, "parsed_url") else ""
    request.__dict__.update(
        _method=response.method,
        _path=f"{path}?{query}" if query else path,
        # The signed payload is the raw body, or for a form post (which werkzeug consumes) the form;
        # otherwise moto's `data` holds the headers or the URL's query, which were never the payload.
        _data=response.data if form_post else {},
        _body=response.raw_body,
        _headers=response.headers,
        _region=scope[2],
        _service=scope[3],
    )
    credentials = Credentials(access_key, secret, token)
    request._access_key = type("Key", (), {"create_credentials": lambda _self: credentials})()
    if _between(authorization, "Signature=", ",") != request._calculate_signature():
        log.warning("signature mismatch: %s %s (key %s)", response.method, path, access_key)
        raise Refusal(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def _query(response: Any) -> dict[str, str]:
    from urllib.parse import parse_qsl

    raw = response.parsed_url.query if hasattr(response, "parsed_url") else ""
    return dict(parse_qsl(raw, keep_blank_values=True))


def _presigned_caller(response: Any, query: dict[str, str]) -> tuple[Caller, str]:
    """The caller of a presigned S3 URL (SigV4 in the query string), its signature and expiry checked."""
    import calendar
    import hashlib
    import hmac
    from urllib.parse import quote

    scope = query["X-Amz-Credential"].split("/")
    if len(scope) < 5 or query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise Refusal("AuthorizationQueryParametersError", "The presigned URL is malformed.", 400)
    access_key = scope[0]
    credential = credential_for(access_key, response.current_account)
    if credential is None:
        raise Refusal(
            "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    if credential.session_token and query.get("X-Amz-Security-Token") != credential.session_token:
        raise Refusal("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
    amz_date = query.get("X-Amz-Date", "")
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        expires = int(query.get("X-Amz-Expires", "0"))
    except ValueError:
        raise Refusal("AuthorizationQueryParametersError", "The presigned URL is malformed.", 400) from None
    if time.time() > signed_at + expires:
        raise Refusal("AccessDenied", "Request has expired")
    if settings.verify_signatures:
        signed_headers = query.get("X-Amz-SignedHeaders", "host").split(";")
        canonical_query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
            for k, v in sorted(query.items())
            if k != "X-Amz-Signature"
        )
        headers = "".join(
            f"{h}:{' '.join(str(response.headers.get(h, '')).split())}\n" for h in signed_headers
        )
        canonical = "\n".join(
            [
                response.method,
                response.raw_path,
                canonical_query,
                headers,
                ";".join(signed_headers),
                "UNSIGNED-PAYLOAD",
            ]
        )
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                amz_date,
                "/".join(scope[1:]),
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        key = f"AWS4{credential.secret}".encode()
        for part in (*scope[1:4], "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, query.get("X-Amz-Signature", "")):
            log.warning(
                "presigned signature mismatch: %s %s (key %s)", response.method, response.raw_path, access_key
            )
            raise Refusal(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
    return credential.caller, scope[3]


def _caller(response: Any, s3: bool) -> tuple[Caller, str]:
    """The signed-in caller and the signing service name; anonymous when the request is unsigned.
    An S3 request may be signed in its query string instead (a presigned URL)."""
    authorization = response.headers.get("Authorization")
    if not authorization or "Credential=" not in authorization:
        if s3:
            query = _query(response)
            if "X-Amz-Credential" in query:
                return _presigned_caller(response, query)
        return Caller(arn="anonymous", account="", kind="anonymous"), ""
    scope = _between(authorization, "Credential=", ",").split("/")
    if len(scope) < 4:
        raise Refusal("IncompleteSignature", "The request signature is incomplete.", 400)
    access_key = scope[0]
    credential = credential_for(access_key, response.current_account)
    if credential is None:
        raise Refusal("InvalidClientTokenId", "The security token included in the request is invalid.")
    if credential.session_token and response.headers.get("X-Amz-Security-Token") != credential.session_token:
        raise Refusal("InvalidClientTokenId", "The security token included in the request is invalid.")
    if settings.verify_signatures:
        _check_signature(response, credential.secret, credential.session_token, s3, access_key)
    return credential.caller, scope[3]


def _global_context(caller: Caller, response: Any, resource_account: str | None) -> dict[str, Any]:
    now = time.time()
    context: dict[str, Any] = {
        # The emulator listens on plain http on loopback only; it stands in for AWS's TLS endpoints,
        # so requests count as secure transport (the kit's buckets deny aws:SecureTransport=false).
        "aws:securetransport": "true",
        "aws:requestedregion": response.region,
        "aws:epochtime": str(int(now)),
        "aws:currenttime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:viaawsservice": "false",
    }
    if resource_account:
        context["aws:resourceaccount"] = resource_account
    if caller.kind in ("root", "user", "role-session"):
        context["aws:principalarn"] = caller.role_arn or caller.arn
        context["aws:principalaccount"] = caller.account
        context["aws:principaltype"] = {"root": "Account", "user": "User"}.get(caller.kind, "AssumedRole")
        context["kms:calleraccount"] = caller.account
        if caller.kind == "user":
            context["aws:username"] = caller.arn.rsplit("/", 1)[-1]
    elif caller.kind == "service":
        context["aws:principalservicename"] = caller.service
        context["aws:sourceaccount"] = caller.account
        if value := response.headers.get(SOURCE_ARN_HEADER):
            context["aws:sourcearn"] = value
    return context


def _message(caller: Caller, action: str, resource: str, decision: Decision) -> str:
    who = "anonymous" if caller.kind == "anonymous" else caller.arn
    text = f"User: {who} is not authorized to perform: {action} on resource: {resource}"
    return f"{text} {decision.reason}" if decision.reason and not action.startswith("sts:") else text


def _decide(caller: Caller, service: str, action: str, resource: str, context: dict[str, Any]) -> Decision:
    policy = resource_policy_for(service, resource)
    if policy is not None:
        context["aws:resourceaccount"] = policy.account
    if action == "sts:AssumeRole" and policy is None:
        return Decision(False, "")  # the role does not exist: AWS answers AccessDenied, nothing more
    # AssumeRole needs the trust policy to admit the caller. Same account: a trust policy naming the
    # caller's ARN suffices, one naming the account (`:root`) also needs an identity Allow of
    # sts:AssumeRole; cross account: both, always (IAM User Guide, "Cross-account policy evaluation
    # logic" and "Grant a user permissions to switch roles"). `decide` applies exactly that.
    return decide(caller, identity_policies(caller), action, resource, context, policy)


def _pass_role(caller: Caller, service: str, params: Mapping[str, Any], base: dict[str, Any]) -> None:
    """Passing a role to a service needs iam:PassRole on it (checked as AWS does, for SageMaker)."""
    if service != "sagemaker" or caller.kind not in ("user", "role-session"):
        return
    for field in _PASS_ROLE_FIELDS:
        role = params.get(field)
        if isinstance(role, str) and role.startswith("arn:"):
            context = {**base, "iam:passedtoservice": "sagemaker.amazonaws.com"}
            decision = decide(caller, identity_policies(caller), "iam:PassRole", role, context, None)
            if not decision.allowed:
                raise Refusal("AccessDenied", _message(caller, "iam:PassRole", role, decision))


def _web_identity(response: Any, params: Mapping[str, Any]) -> None:
    role_arn = str(params.get("RoleArn", ""))
    try:
        claims = web_identity.verified_claims(str(params.get("WebIdentityToken", "")))
    except web_identity.InvalidToken as error:
        raise Refusal("InvalidIdentityToken", str(error), 400) from error
    host = web_identity.issuer_host_path(claims["iss"])
    denied = Refusal("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    role = find_role(role_arn)
    if role is None:
        raise denied
    provider = oidc_provider(role.account_id, host)
    if provider is None:
        raise Refusal(
            "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {claims['iss']}",
            400,
        )
    audiences = web_identity.audiences(claims)
    if not set(audiences) & set(provider.client_id_list):
        raise Refusal("InvalidIdentityToken", "Incorrect token audience", 400)
    caller = Caller(arn=provider.arn, account=role.account_id, kind="web-identity", federated=provider.arn)
    context = _global_context(caller, response, role.account_id)
    context[f"{host}:sub"] = claims["sub"]
    context[f"{host}:aud"] = audiences
    if "amr" in claims:
        context[f"{host}:amr"] = [str(a) for a in claims["amr"]]
    action = "sts:AssumeRoleWithWebIdentity"
    if not decide(caller, None, action, role_arn, context, trust_policy(role)).allowed:
        raise denied


def authorize(response: Any, moto_resource: str, s3: bool) -> None:
    """Raise Refusal unless AWS would let this request through."""
    params = request_params(response) if not s3 else dict(response.querystring or {})
    operation = response.data.get("Action") if s3 else response._get_action()
    if isinstance(operation, list):
        operation = operation[0]
    if not s3 and response.service_name == "sts" and operation == "AssumeRoleWithWebIdentity":
        _web_identity(response, params)
        return
    caller, signing_name = _caller(response, s3)
    service = (
        "s3"
        if s3
        else IAM_PREFIX.get(signing_name or response.service_name, signing_name or response.service_name)
    )
    if s3:
        operation = S3_ACTIONS.get(str(operation), operation)
        # moto names an object's retention and legal-hold requests PutObject/GetObject; AWS
        # authorizes them as actions of their own (a Deny of s3:PutObjectRetention must hold).
        for subresource in ("retention", "legal-hold"):
            if subresource in params and operation in ("PutObject", "GetObject"):
                operation = f"{operation}{subresource.title().replace('-', '')}"
        params = {k: v[0] if isinstance(v, list) and v else v for k, v in params.items()}
    action = f"{service}:{operation}"
    if action == "sts:GetCallerIdentity":
        return  # always allowed, even under an explicit Deny (AWS)
    if s3 or service == "sts":
        resource = moto_resource
    else:
        resource = resource_arn(
            service, str(operation), params, response, caller.account or response.current_account
        )
    if (
        caller.kind == "service"
        and action == "sts:AssumeRole"
        and "x-moto-account-id" not in response.headers
    ):
        # A service assumes a role on behalf of the role's own account unless told otherwise.
        caller = replace(
            caller, account=resource.split(":")[4] if resource.count(":") >= 5 else caller.account
        )
    context = _global_context(caller, response, None)
    context.update(service_context(service, str(operation), params, response.headers))
    try:
        decision = _decide(caller, service, action, resource, context)
        if decision.allowed:
            _pass_role(caller, service, params, context)
    except Unsupported as error:
        log.warning("denied %s on %s for %s: unsupported %s", action, resource, caller.arn, error)
        raise Refusal("AccessDenied", _message(caller, action, resource, Decision(False, ""))) from error
    if not decision.allowed:
        log.warning("denied %s on %s for %s %s", action, resource, caller.arn, decision.reason)
        raise Refusal("AccessDenied", _message(caller, action, resource, decision))
