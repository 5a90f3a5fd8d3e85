"""The parts the training pipeline's jobs are made of: the SDK session, the code bundle, the image and
the platform, and the processing inputs, outputs and processors built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.model_contract.manifest import Resources
from mlops_kit.pipeline.platform import PlatformFacts

PROCESSING_ROOT = "/opt/ml/processing"


@dataclass(frozen=True)
class TrainingJobs:
    """What every step's job is made of: the session, the code bundle, the image, the platform."""

    env: Environment
    model: str
    platform: PlatformFacts
    session: Any
    code: Any
    image: str
    # The model contract's resource needs; an unset instance type is the environment's.
    resources: Resources = field(default_factory=Resources)

    @property
    def run_prefix(self) -> Any:
        from sagemaker.core.workflow.execution_variables import ExecutionVariables
        from sagemaker.core.workflow.functions import Join

        bucket = self.platform.artifact_bucket
        return Join(
            on="/", values=[f"s3://{bucket}/pipelines/{self.model}", ExecutionVariables.PIPELINE_EXECUTION_ID]
        )

    def s3_in(self, name: str, uri: Any, local: str) -> Any:
        from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=uri, local_path=local, s3_data_type="S3Prefix", s3_input_mode="File"
            ),
        )

    def s3_out(self, step: str, name: str) -> Any:
        from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output
        from sagemaker.core.workflow.functions import Join

        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=Join(on="/", values=[self.run_prefix, step, name]),
                local_path=f"{PROCESSING_ROOT}/output/{name}",
                s3_upload_mode="EndOfJob",
            ),
        )

    def processor(self, job: str, env: dict[str, Any] | None = None) -> Any:
        from sagemaker.core.network import NetworkConfig
        from sagemaker.core.processing import ScriptProcessor

        training, platform = self.env.training, self.platform
        return ScriptProcessor(
            role=platform.execution_role_arn,
            image_uri=self.image,
            command=["python3"],
            instance_count=training.instance_count,
            instance_type=self.resources.processing_instance_type or training.processing_instance_type,
            volume_size_in_gb=training.volume_size_gib,
            volume_kms_key=platform.kms_key_id,
            output_kms_key=platform.kms_key_id,
            max_runtime_in_seconds=training.max_runtime_seconds,
            base_job_name=f"{ResourceNames(self.env).base}-{job}",
            sagemaker_session=self.session,
            env=env,
            network_config=NetworkConfig(
                subnets=list(platform.subnet_ids),
                security_group_ids=list(platform.security_group_ids),
                enable_network_isolation=False,
                encrypt_inter_container_traffic=True,
            ),
        )

    @property
    def lib(self) -> Any:
        return self.s3_in("lib", self.code.uri("lib/"), f"{PROCESSING_ROOT}/input/lib")


def output_uri(step: Any, name: str) -> Any:
    """The S3 URI of a processing step's output `name`."""
    return step.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri
