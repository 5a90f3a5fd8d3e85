"""`kit train --on eks` end to end in the twin: the Job's workers as local processes, then the
product's evaluate-gate-register (mlops_kit/cluster/registration.py) against the emulator."""

from __future__ import annotations

from pathlib import Path

from local_aws.eks.job_runner import run_job_locally
from mlops_kit.aws import AwsClients
from mlops_kit.cluster.registration import register_cluster_run
from mlops_kit.cluster.training_job import TrainingJob, job_manifests
from mlops_kit.config import ResourceNames
from mlops_kit.pipeline.dataset import DATASET_FILE, bundled_dataset_csv, dataset_key
from mlops_kit.registry.versions import ModelVersion


def train_and_register_locally(
    clients: AwsClients, job: TrainingJob, *, scripts_dir: Path, work_dir: Path, git_commit: str
) -> ModelVersion:
    """Put the bundled data set where the Job reads it, run the workers, register the result."""
    data = bundled_dataset_csv()
    bucket = ResourceNames(job.env).artifact_bucket
    clients.call(
        "upload the data set",
        clients.client("s3").put_object,
        Bucket=bucket,
        Key=dataset_key(job.model),
        Body=data,
    )
    data_file = work_dir / DATASET_FILE
    work_dir.mkdir(parents=True, exist_ok=True)
    data_file.write_bytes(data)
    run = run_job_locally(
        job_manifests(job), scripts_dir=scripts_dir, data_file=data_file, work_dir=work_dir / "job"
    )
    return register_cluster_run(
        clients,
        job,
        model_dir=run.model_dir,
        data_file=data_file,
        scripts_dir=scripts_dir,
        work_dir=work_dir / "register",
        git_commit=git_commit,
    )
