"""The latest drift check of an environment, as the drift gate reads it.

Contract with the drift job: reports live under `ResourceNames(env).drift_report_prefix(model)`
(`s3://<bucket>/drift-reports/<model>/`), one JSON object per run named by its UTC time
(`2026-11-25T09-00-00Z.json`), holding at least `{"drifted": bool, "generated_at": iso8601}`.
The names sort by time, so the latest report is the greatest key.
"""

from __future__ import annotations

import json
from typing import Any

from mlops_kit.aws import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import OperationFailed
from mlops_kit.promotion.gates import DriftStatus
from mlops_kit.s3_uri import split_s3_uri


def parse_drift_report(key: str, body: bytes) -> DriftStatus:
    """Read one report; a report that breaks the contract fails loudly rather than passing the gate."""
    try:
        data: Any = json.loads(body)
        drifted, generated_at = data["drifted"], data["generated_at"]
    except (ValueError, KeyError, TypeError):
        raise OperationFailed(f"drift report {key} lacks the fields drifted and generated_at") from None
    if not isinstance(drifted, bool):
        raise OperationFailed(f"drift report {key}: drifted must be true or false")
    return DriftStatus(drifted=drifted, generated_at=str(generated_at), key=key)


def latest_drift_status(clients: AwsClients, env: Environment, model: str) -> DriftStatus | None:
    """The newest drift report of `model` in `env`, or None when the drift job has not run yet."""
    bucket, prefix = split_s3_uri(ResourceNames(env).drift_report_prefix(model) + "/")
    s3 = clients.client("s3")
    latest: str | None = None
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        page = clients.call(f"list drift reports in s3://{bucket}/{prefix}", s3.list_objects_v2, **kwargs)
        keys = [
            o["Key"]
            for o in page.get("Contents", [])
            if o["Key"].endswith(".json") and "/" not in o["Key"][len(prefix) :]
        ]
        if keys:
            latest = max([*keys, latest] if latest else keys)
        token = page.get("NextContinuationToken")
        if not token:
            break
    if latest is None:
        return None
    body = clients.call(f"read drift report s3://{bucket}/{latest}", s3.get_object, Bucket=bucket, Key=latest)
    return parse_drift_report(latest, body["Body"].read())
