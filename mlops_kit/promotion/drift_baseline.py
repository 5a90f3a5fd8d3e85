"""The default drift baseline of an environment: the baseline of the version it serves.

Contract with the scheduled drift pipeline (`pipelines/drift_definition.py`, `default_baseline_uri`):
it reads `s3://<artifact bucket>/drift-baselines/<model>/baseline.json` of its own environment.
Promotion, once its rollout succeeded, and rollback, once the endpoint moved, overwrite that object
with the serving version's baseline: a server-side copy of the version's own copy (made by the
promotion's copy step, `artifact_copy.copy_baseline`), checked against the version's recorded sha256.
Overwriting with the same bytes is harmless, so a re-run converges.
"""

from __future__ import annotations

import base64

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import OperationFailed
from mlops_kit.promotion.artifact_copy import ChecksumMismatch, hash_object
from mlops_kit.registry.versions import ModelVersion
from mlops_kit.s3_uri import split_s3_uri


def default_baseline_key(model: str) -> str:
    return f"drift-baselines/{model}/baseline.json"


def default_baseline_uri(env: Environment, model: str) -> str:
    return f"s3://{ResourceNames(env).artifact_bucket}/{default_baseline_key(model)}"


def version_baseline(env: Environment, version: ModelVersion) -> tuple[str, str] | None:
    """`version`'s drift baseline (URI, sha256) when its copy is kept in `env`'s own bucket."""
    uri, sha256 = version.lineage.drift_baseline_uri, version.lineage.drift_baseline_sha256
    if uri.startswith(f"s3://{ResourceNames(env).artifact_bucket}/") and sha256:
        return uri, sha256
    return None


def publish_default_baseline(
    clients: AwsClients, env: Environment, model: str, *, source_uri: str, sha256: str, version_arn: str
) -> str:
    """Make the baseline at `source_uri` (in `env`'s bucket, sha256 `sha256`) of the version
    `version_arn` the one `env`'s drift pipeline reads; returns the default baseline's URI."""
    bucket, source_key = split_s3_uri(source_uri)
    if bucket != ResourceNames(env).artifact_bucket:
        raise OperationFailed(f"{source_uri} is not in {env.name}'s bucket; copy it there first")
    key = default_baseline_key(model)
    s3 = clients.client("s3")
    response = clients.call(
        f"publish {source_uri} as s3://{bucket}/{key}",
        s3.copy_object,
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": source_key},
        MetadataDirective="REPLACE",
        Metadata={"sha256": sha256, "model-package": version_arn, "source": source_uri[:1024]},
        ContentType="application/json",
        ChecksumAlgorithm="SHA256",
    )
    # S3 reports the copy's checksum; read the copy back only if it does not.
    checksum = (response.get("CopyObjectResult") or {}).get("ChecksumSHA256")
    digest = base64.b64decode(checksum).hex() if checksum else hash_object(clients, bucket, key)[0]
    if digest != sha256:
        raise ChecksumMismatch(
            f"s3://{bucket}/{key} has sha256 {digest} after copying {source_uri}, expected {sha256}; "
            "re-run to publish it again"
        )
    return f"s3://{bucket}/{key}"
