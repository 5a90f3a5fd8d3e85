"""SageMaker Processing steps of a pipeline definition as plain JSON (the monitoring jobs': drift,
quality): the step, its S3 inputs and outputs, and the definition's `Get`/`Std:Join` expressions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from mlops_kit.config import Environment
from mlops_kit.serving.images import sklearn_image_uri

PROCESSING_ROOT = "/opt/ml/processing"
MAX_RUNTIME_SECONDS = 3600
VOLUME_GIB = 30


class JobPlatform(Protocol):
    """What the jobs run with (`PlatformFacts` in the CLI; Terraform references in the stacks)."""

    @property
    def artifact_bucket(self) -> str: ...
    @property
    def execution_role_arn(self) -> str: ...
    @property
    def kms_key_id(self) -> str: ...
    @property
    def subnet_ids(self) -> Sequence[str]: ...
    @property
    def security_group_ids(self) -> Sequence[str]: ...


def get(reference: str) -> dict[str, str]:
    return {"Get": reference}


def join(on: str, *values: Any) -> dict[str, Any]:
    return {"Std:Join": {"On": on, "Values": list(values)}}


def processing_input(name: str, uri: Any, folder: str, *, sharded: bool = False) -> dict[str, Any]:
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": f"{PROCESSING_ROOT}/input/{folder}",
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "ShardedByS3Key" if sharded else "FullyReplicated",
            "S3CompressionType": "None",
        },
    }


def processing_output(name: str, uri: Any) -> dict[str, Any]:
    return {
        "OutputName": name,
        "AppManaged": False,
        "S3Output": {
            "S3Uri": uri,
            "LocalPath": f"{PROCESSING_ROOT}/output/{name}",
            "S3UploadMode": "EndOfJob",
        },
    }


def processing_step(
    name: str,
    env: Environment,
    platform: JobPlatform,
    *,
    script: str,
    instance_count: int,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    arguments: list[Any],
) -> dict[str, Any]:
    script_name = script.rsplit("/", 1)[-1]
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": env.drift.instance_type,
                    "InstanceCount": instance_count,
                    "VolumeSizeInGB": VOLUME_GIB,
                    "VolumeKmsKeyId": platform.kms_key_id,
                }
            },
            "AppSpecification": {
                "ImageUri": sklearn_image_uri(env.region),
                "ContainerEntrypoint": ["python3", f"{PROCESSING_ROOT}/input/code/{script_name}"],
                "ContainerArguments": arguments,
            },
            "RoleArn": platform.execution_role_arn,
            "ProcessingInputs": [*inputs, processing_input("code", script, "code")],
            "ProcessingOutputConfig": {"Outputs": outputs, "KmsKeyId": platform.kms_key_id},
            "NetworkConfig": {
                "EnableNetworkIsolation": False,
                "EnableInterContainerTrafficEncryption": True,
                "VpcConfig": {
                    "SecurityGroupIds": list(platform.security_group_ids),
                    "Subnets": list(platform.subnet_ids),
                },
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
        },
    }
