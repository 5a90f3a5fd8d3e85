"""Benchmark of the `kit` command line, in one run:

  kit --help      against its floor, `python -c "import typer, rich"` (goal: <= 1.5x the floor;
                  boto3, sagemaker and cdktf must not be imported on that path, checked too)
  kit promote     of tumor-classifier dev -> staging on a fresh local emulator, as a subprocess
                  (interpreter start and imports included), minus the rollout wait the command
                  reports (goal: <= 2 s)

    python benchmarks/cli.py [--runs 7]

The emulator gets the minimum promotion needs (buckets, model package groups, lock and audit
tables, the staging endpoint with its bootstrap model and alarms), created with boto3 under the
kit's derived names instead of a Terraform apply, so the benchmark takes seconds. Each dev version
is registered as the training pipeline registers it: artifact, drift baseline (a real one, of the
Wisconsin breast cancer features) and lineage; the promotion copies both to staging.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODEL = "tumor-classifier"


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def help_benchmark(runs: int) -> tuple[float, float, list[str]]:
    floor_cmd = [sys.executable, "-c", "import typer, rich"]
    help_cmd = [sys.executable, "-m", "cli.main", "--help"]
    floors, helps = [], []
    for _ in range(runs):  # interleaved, so load on a shared machine hits both alike
        floors.append(timed(floor_cmd)[0])
        helps.append(timed(help_cmd)[0])
    probe = (
        "import sys; from cli.main import main; main(['--help']); "
        "heavy = ('boto3', 'botocore', 'sagemaker', 'cdktf'); "
        "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))"
    )
    output = timed([sys.executable, "-c", probe])[1]
    marker = [line for line in output.splitlines() if line.startswith("HEAVY:")]
    heavy = marker[0].removeprefix("HEAVY:") if marker else "?"
    return statistics.median(floors), statistics.median(helps), [m for m in heavy.split(",") if m]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def model_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"benchmark model"
        info = tarfile.TarInfo("model.joblib")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def minimal_platform() -> None:
    """What promotion touches, for dev and staging, under the kit's names."""
    from mlops_kit.aws import clients_for
    from mlops_kit.config import ResourceNames, load_all_environments
    from mlops_kit.serving.images import sklearn_image_uri

    envs = load_all_environments(REPO / "environments")
    for name in ("dev", "staging"):
        env = envs[name]
        names = ResourceNames(env)
        clients = clients_for(env)
        clients.client("s3").create_bucket(Bucket=names.artifact_bucket)
        clients.client("sagemaker").create_model_package_group(
            ModelPackageGroupName=names.model_package_group(MODEL)
        )
        dynamodb = clients.client("dynamodb")
        dynamodb.create_table(
            TableName=names.promotion_lock_table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "lock_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "lock_id", "AttributeType": "S"}],
        )
        # The audit log (stacks/audit_log.py): an Object Lock bucket.
        clients.client("s3").create_bucket(Bucket=names.audit_bucket, ObjectLockEnabledForBucket=True)
        clients.client("s3").put_object(
            Bucket=names.artifact_bucket,
            Key=f"drift-reports/{MODEL}/2026-01-01T00-00-00Z.json",
            Body=json.dumps({"drifted": False, "generated_at": "2026-01-01T00:00:00Z"}).encode(),
        )
        endpoint = names.endpoint(MODEL)
        sagemaker = clients.client("sagemaker")
        sagemaker.create_model(
            ModelName=f"{endpoint}-bootstrap",
            ExecutionRoleArn=f"arn:aws:iam::{env.account_id}:role/{names.role('sagemaker-execution')}",
            PrimaryContainer={
                "Image": sklearn_image_uri(env.region),
                "ModelDataUrl": f"s3://{names.artifact_bucket}/bootstrap/model.tar.gz",
            },
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{endpoint}-bootstrap",
            ProductionVariants=[
                {
                    "VariantName": "primary",
                    "ModelName": f"{endpoint}-bootstrap",
                    "InstanceType": env.serving.instance_type,
                    "InitialInstanceCount": env.serving.initial_instance_count,
                }
            ],
            # As the serving stack declares it (`kit endpoint verify` compares it with the file).
            DataCaptureConfig={
                "EnableCapture": env.serving.data_capture_percent > 0,
                "InitialSamplingPercentage": max(env.serving.data_capture_percent, 1),
                "DestinationS3Uri": names.data_capture_prefix(MODEL),
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                "CaptureContentTypeHeader": {
                    "CsvContentTypes": ["text/csv"],
                    "JsonContentTypes": ["application/json"],
                },
            },
        )
        sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-bootstrap")
        for alarm in names.rollback_alarms(MODEL).values():
            clients.client("cloudwatch").put_metric_alarm(
                AlarmName=alarm,
                MetricName="Invocation5XXErrors",
                Namespace="AWS/SageMaker",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            )


def drift_baseline(run: int) -> bytes:
    from sklearn.datasets import load_breast_cancer

    from mlops_kit.drift import build_baseline

    features = load_breast_cancer(as_frame=True).data
    return build_baseline(features, metadata={"training_run": f"bench-{run}"}).to_json().encode()


def register_dev_version(archive: bytes, run: int) -> int:
    from mlops_kit.aws import clients_for
    from mlops_kit.config import ResourceNames, load_environment
    from mlops_kit.registry.lineage import Lineage

    dev = load_environment("dev", REPO / "environments")
    names = ResourceNames(dev)
    clients = clients_for(dev)
    key = f"pipelines/{MODEL}/bench-{run}/model.tar.gz"
    clients.client("s3").put_object(Bucket=names.artifact_bucket, Key=key, Body=archive)
    baseline_key = f"pipelines/{MODEL}/bench-{run}/baseline/baseline.json"
    clients.client("s3").put_object(Bucket=names.artifact_bucket, Key=baseline_key, Body=drift_baseline(run))
    lineage = Lineage(
        git_commit=f"bench{run}",
        data_uri="s3://x/data",
        data_sha256="0" * 64,
        hyperparameters={},
        image_uris={},
        metrics={"auc": 0.98, "accuracy": 0.95},
        artifact_sha256=hashlib.sha256(archive).hexdigest(),
        drift_baseline_uri=f"s3://{names.artifact_bucket}/{baseline_key}",
    )
    response = clients.client("sagemaker").create_model_package(
        ModelPackageGroupName=names.model_package_group(MODEL),
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": "image", "ModelDataUrl": f"s3://{names.artifact_bucket}/{key}"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties=lineage.to_metadata(),
    )
    return int(response["ModelPackageArn"].rsplit("/", 1)[-1])


def promote_benchmark(runs: int) -> list[tuple[float, float]]:
    from local_aws.server import local_aws_environment, start_emulator, stop_emulator

    port = free_port()
    with tempfile.TemporaryDirectory() as state:
        os.environ["KIT_STATE_DIR"] = state
        os.environ.setdefault("KIT_EMULATOR_TIME_SCALE", "600")
        # A hand-made platform without the stacks' roles: IAM evaluation off (its cost is measured by
        # benchmarks/demo.py --iam-cost on the real stacks).
        start_emulator(port, iam=False)
        try:
            os.environ.update(local_aws_environment(port))
            minimal_platform()
            archive = model_archive()
            samples = []
            for run in range(runs):
                version = register_dev_version(archive, run)
                command = [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "promote",
                    MODEL,
                    "--to",
                    "staging",
                    "--version",
                    str(version),
                    "--yes",
                    "--json",
                ]
                elapsed, out = timed(
                    command, env={**os.environ, "KIT_ENVIRONMENTS_DIR": str(REPO / "environments")}
                )
                wait = json.loads(out)["rollout_wait_seconds"]
                samples.append((elapsed, wait))
            return samples
        finally:
            stop_emulator(port)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python benchmarks/cli.py")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))

    floor, help_time, heavy = help_benchmark(args.runs)
    ratio = help_time / floor
    print(
        f"kit --help         {help_time * 1000:7.0f} ms   "
        f"floor (import typer, rich) {floor * 1000:5.0f} ms   "
        f"ratio {ratio:.2f}x (goal <= 1.5x) {'OK' if ratio <= 1.5 else 'OVER'}"
    )
    print(f"  heavy modules imported by kit --help: {', '.join(heavy) if heavy else 'none'}")

    samples = promote_benchmark(args.runs)
    net = [elapsed - wait for elapsed, wait in samples]
    print(
        f"kit promote        {statistics.median(net):7.2f} s  "
        f"median over {len(net)} runs, best {min(net):.2f} s, "
        f"rollout wait excluded (median wait {statistics.median(w for _, w in samples):.2f} s, "
        f"emulator time x{os.environ.get('KIT_EMULATOR_TIME_SCALE')}) (goal <= 2 s) "
        f"{'OK' if statistics.median(net) <= 2 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
