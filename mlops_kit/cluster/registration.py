"""After a cluster training run: evaluate, gate and register the model exactly as the training
pipeline does, with the pipeline's own step scripts (preprocess for the test split and drift
baseline, evaluate for metrics and lineage) and the registry's register call.

The version carries the pipeline's lineage fields plus where it trained: cluster, pool, image and
GPU count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mlops_kit.aws import AwsClients
from mlops_kit.cluster.training_job import TrainingJob
from mlops_kit.config import ResourceNames
from mlops_kit.errors import GateFailed, OperationFailed
from mlops_kit.model_contract.loading import load_model_contract
from mlops_kit.pipeline.bundle import code_bundle, deterministic_tar_gz
from mlops_kit.registry.lineage import Lineage
from mlops_kit.registry.versions import ModelVersion, register_version
from mlops_kit.s3_uri import split_s3_uri
from mlops_kit.serving.images import sklearn_image_uri

# What the scikit-learn serving image needs to find the model's entry point (as the pipeline sets).
SERVING_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
}


def _run_script(scripts_dir: Path, script: str, *arguments: str) -> None:
    done = subprocess.run(
        [sys.executable, str(scripts_dir / script), *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise OperationFailed(f"{script} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def _lib_dir(job: TrainingJob, scripts_dir: Path, work_dir: Path) -> Path:
    """The pipeline's `lib/` (lineage contract, baseline builder, the model's schema and code), as
    its steps get it."""
    lib = work_dir / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    bundle = code_bundle(
        ResourceNames(job.env).artifact_bucket,
        scripts_dir,
        pipeline="eks",
        contract=load_model_contract(job.env, job.model),
    )
    for upload in bundle.uploads:
        name = upload.key.removeprefix(f"{bundle.prefix}/")
        if name.startswith("lib/"):
            target = lib / name.removeprefix("lib/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(upload.body)
    return lib


def gate_failures(metrics: dict[str, float], minimums: dict[str, float]) -> list[str]:
    """The pipeline's gates: every gated metric at or above its threshold."""
    return [
        f"{metric} {metrics.get(metric, 0.0):.4f} is below the threshold {floor}"
        for metric, floor in minimums.items()
        if metrics.get(metric, 0.0) < floor
    ]


def register_cluster_run(
    clients: AwsClients,
    job: TrainingJob,
    *,
    model_dir: Path,
    data_file: Path,
    scripts_dir: Path,
    work_dir: Path,
    git_commit: str,
) -> ModelVersion:
    """Upload the run's artifact and baseline, evaluate, gate, and register a PendingManualApproval
    version; GateFailed (nothing registered) when a metric is below the environment's threshold."""
    env, s3 = job.env, clients.client("s3")
    bucket, prefix = split_s3_uri(job.artifact_uri)
    run_prefix = prefix.removesuffix("model/")
    archive = deterministic_tar_gz(
        {
            p.relative_to(model_dir).as_posix(): p.read_bytes()
            for p in sorted(model_dir.rglob("*"))
            if p.is_file()
        }
    )
    model_key = f"{prefix}model.tar.gz"
    clients.call(
        f"upload s3://{bucket}/{model_key}", s3.put_object, Bucket=bucket, Key=model_key, Body=archive
    )
    evaluate_in = work_dir / "evaluate-model"
    evaluate_in.mkdir(parents=True, exist_ok=True)
    (evaluate_in / "model.tar.gz").write_bytes(archive)

    lib, data_dir, processed = _lib_dir(job, scripts_dir, work_dir), work_dir / "data", work_dir / "processed"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / data_file.name).write_bytes(data_file.read_bytes())
    data_uri = f"s3://{ResourceNames(env).artifact_bucket}/datasets/{job.model}/{data_file.name}"
    _run_script(
        scripts_dir,
        "preprocess.py",
        "--input-dir",
        str(data_dir),
        "--lib-dir",
        str(lib),
        "--output-dir",
        str(processed),
        "--data-uri",
        data_uri,
    )
    baseline_key = f"{run_prefix}baseline/baseline.json"
    body = (processed / "baseline" / "baseline.json").read_bytes()
    clients.call(
        f"upload s3://{bucket}/{baseline_key}", s3.put_object, Bucket=bucket, Key=baseline_key, Body=body
    )

    image = sklearn_image_uri(env.region)
    cluster = ResourceNames(env).eks_cluster
    run_name = f"eks:{cluster}/{job.namespace}/{job.name}"
    _run_script(
        scripts_dir,
        "evaluate.py",
        "--model-dir",
        str(evaluate_in),
        "--test-dir",
        str(processed / "test"),
        "--data-dir",
        str(processed / "baseline"),
        "--lib-dir",
        str(lib),
        "--output-dir",
        str(work_dir / "evaluation"),
        "--model-uri",
        f"s3://{bucket}/{model_key}",
        "--baseline-uri",
        f"s3://{bucket}/{baseline_key}",
        "--data-uri",
        data_uri,
        "--git-commit",
        git_commit,
        "--execution-arn",
        run_name,
        "--image",
        f"training={job.image}",
        "--image",
        f"inference={image}",
    )
    metadata = json.loads((work_dir / "evaluation" / "lineage.json").read_text())
    lineage = Lineage.from_metadata(metadata)
    failures = gate_failures(lineage.metrics, {str(k): float(v) for k, v in env.gates.min_metrics.items()})
    if failures:
        raise GateFailed(f"gate failed: {'; '.join(failures)}")
    where = {
        "cluster": cluster,
        "pool": job.pool.name,
        "training_image": job.image,
        "gpu_count": str(job.gpus * job.nodes),
    }
    lineage = Lineage.from_metadata({**metadata, **where})
    return register_version(
        clients,
        env,
        job.model,
        artifact_uri=f"s3://{bucket}/{model_key}",
        image=image,
        container_environment=SERVING_ENVIRONMENT,
        lineage=lineage,
        description=f"trained on {cluster} pool {job.pool.name} ({job.nodes} x {job.gpus} GPU), {job.name}",
    )
