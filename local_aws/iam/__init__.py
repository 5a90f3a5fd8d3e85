"""IAM evaluated as AWS evaluates it, inside the emulator (moto 5.2.5) process.

moto's own evaluator (off by default) ignores Condition, lets a role that does not exist be assumed
and reads no resource-based policy. This package replaces it: `install()` patches moto's two
authorization hooks, so every request is authenticated and authorized before moto serves it.

Identities
- `testing` / `testing` (the kit's default credentials) is the **root of the default account**
  123456789012; an access key that is a 12-digit account id (secret `testing`) is the root of that
  account. Root may do anything in its own account; resource policies' explicit Denies, KMS key
  policies and trust policies still apply to it, as in AWS.
- IAM users' keys and role sessions (from AssumeRole / AssumeRoleWithWebIdentity) as moto issues
  them; signatures (SigV4) are verified with the key's secret.
- `service.<principal>` (e.g. `service.sagemaker.amazonaws.com`, secret `testing`) acts as that AWS
  service in the account of moto's `x-moto-account-id` header (default account otherwise), with
  aws:SourceAccount = that account and aws:SourceArn from the `x-local-aws-source-arn` header: for
  the emulator's own extensions that stand in for a service (pipelines, alarms).
- An unsigned request is anonymous: only a resource policy with Principal `*` can allow it. An S3
  request signed in its query string (a SigV4 presigned URL) acts as its signer, signature and
  expiry checked; a SigV2 presigned URL counts as unsigned.

Evaluation (see `decision` for the combination rules and their sources)
- identity policies: user inline + attached + groups', role inline + attached (AWS-managed ones
  when moto loads them: MOTO_IAM_LOAD_MANAGED_POLICIES=true); Action/NotAction,
  Resource/NotResource with `*`/`?` (actions case-insensitive, ARNs per component, case-sensitive);
  Condition with the whole standard operator family (`conditions`); explicit Deny wins;
- resource policies: S3 bucket policies, KMS key policies (required), EventBridge bus policies,
  role trust policies (required; a role that does not exist cannot be assumed); same-account /
  cross-account rules as AWS; iam:PassRole checked when a role is passed to SageMaker; CopyObject
  also needs s3:GetObject on its source; DeleteObjects is authorized key by key (one refused key
  refuses the whole request, where AWS reports per-key errors);
- AssumeRoleWithWebIdentity: the token must be signed with `web_identity.TEST_SIGNING_KEY` (the
  emulator cannot fetch an issuer's keys; tests mint tokens with `web_identity.sign_token`), the
  IAM OIDC provider for its issuer must exist in the role's account with the token's audience, and
  the trust policy is evaluated with `<provider>:sub`, `:aud` (and `:amr`);
- request context: aws:PrincipalArn/PrincipalAccount/PrincipalType, aws:SourceAccount/SourceArn
  (service callers), aws:RequestedRegion, aws:CurrentTime/EpochTime, aws:ResourceAccount,
  aws:SecureTransport = true (the emulator is plain http on loopback, standing in for AWS's TLS
  endpoints), sts:ExternalId/RoleSessionName, s3:x-amz-server-side-encryption[-aws-kms-key-id],
  s3:prefix/delimiter, cloudwatch:namespace, events:source/detail-type, kms:EncryptionContext:*,
  iam:PassedToService;
- an operator, key, Principal type or policy variable the engine does not know **denies** the
  request and logs which one (logger `local_aws.iam`); nothing unknown is ignored. Every refusal is
  logged (a warning in the emulator's log, `.kit/emulator/<port>.log`), as CloudTrail records
  AccessDenied events; `LOCAL_AWS_IAM_REPORT_ONLY=1` logs `would deny` and serves the request, to
  list in one run what a workflow lacks while writing its policies.

Errors: AccessDenied (AccessDeniedException for JSON protocols), HTTP 403, worded as AWS:
`User: ARN is not authorized to perform: ACTION on resource: ARN because no identity-based policy
allows the ACTION action` (or `... with an explicit deny in an identity-based|resource-based
policy`, `... because no resource-based policy allows ...`), in the service's own protocol.

Cost: parsed policies are cached by their text (an IAM write changes the text, so no stale entry
can be used); role sessions are indexed by access key once issued.
"""

from __future__ import annotations

_installed = False


def install(*, verify_signatures: bool = True) -> None:
    """Evaluate IAM on every request served by moto in this process (idempotent). Call before
    serving; without it moto serves every request unauthenticated, as today."""
    global _installed
    import os

    from local_aws.iam.authorization import settings
    from local_aws.iam.moto_hook import install_hooks

    settings.verify_signatures = verify_signatures
    settings.report_only = os.environ.get("LOCAL_AWS_IAM_REPORT_ONLY") == "1"
    if _installed:
        return

    install_hooks()
    _installed = True
