"""Run processing and training jobs as local subprocesses under SageMaker's container contract.

A job gets a folder standing in for the container's `/opt/ml`: inputs are downloaded from S3 into it
(processing `LocalPath`s, training channels `input/data/<channel>`), the script runs with
`sys.executable` and the SageMaker environment (SM_* variables, processing paths as arguments), and
outputs go back to S3 (processing outputs; training's `model.tar.gz`, packed as SageMaker packs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_kit import s3_uri
from mlops_kit.archive_extraction import UnsafeArchive, extract_archive
from mlops_kit.errors import BadInput

CONTAINER_ROOT = "/opt/ml"


class JobFailed(Exception):
    """The job did not complete; `reason` is what SageMaker would report as FailureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def split_s3_uri(uri: object) -> tuple[str, str]:
    """(bucket, key) of a job's S3 URI; a malformed one fails the job."""
    try:
        return s3_uri.split_s3_uri(uri)
    except BadInput as exc:
        raise JobFailed(str(exc)) from None


@dataclass
class S3Transfer:
    """Downloads and uploads through one S3 client (the emulator's, over HTTP)."""

    s3: Any

    def download(self, uri: str, folder: Path, *, what: str, shard: tuple[int, int] = (0, 1)) -> int:
        """Objects under `uri` into `folder` (a key equal to the URI lands as its base name); count.

        `shard` (index, count) keeps every count-th object of the sorted keys from index, as
        ShardedByS3Key gives each instance its share; a shard may get none."""
        bucket, key = split_s3_uri(uri)
        folder.mkdir(parents=True, exist_ok=True)
        index, shards = shard
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
            exact = bool(key)
        except Exception:
            exact = False
        if exact:
            if index == 0:
                self.s3.download_file(bucket, key, str(folder / Path(key).name))
            return 1 if index == 0 else 0
        prefix = key.rstrip("/") + "/" if key else ""
        count = 0
        try:
            keys = sorted(
                item["Key"]
                for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for item in page.get("Contents", [])
                if item["Key"][len(prefix) :] and not item["Key"].endswith("/")
            )
            if not keys:
                raise JobFailed(f"ClientError: no S3 objects found under {uri} ({what})")
            for object_key in keys[index::shards]:
                target = folder / object_key[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                self.s3.download_file(bucket, object_key, str(target))
                count += 1
        except JobFailed:
            raise
        except Exception as exc:
            raise JobFailed(f"ClientError: cannot read {what} from {uri}: {exc}") from None
        return count

    def upload_folder(self, folder: Path, uri: str) -> int:
        bucket, key = split_s3_uri(uri)
        count = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            self.s3.upload_file(str(path), bucket, f"{key.rstrip('/')}/{relative}")
            count += 1
        return count

    def upload_file(self, path: Path, uri: str) -> None:
        bucket, key = split_s3_uri(uri)
        self.s3.upload_file(str(path), bucket, key)


def local_path(root: Path, container_path: str) -> Path:
    """Where a container path (`/opt/ml/...`) lives in the job folder."""
    if not container_path.startswith(CONTAINER_ROOT):
        raise JobFailed(f"container path {container_path} is outside {CONTAINER_ROOT}")
    return root / "opt_ml" / container_path[len(CONTAINER_ROOT) :].lstrip("/")


def _rewrite(value: str, root: Path) -> str:
    if value.startswith(CONTAINER_ROOT):
        return str(local_path(root, value))
    return value


def _run(command: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        try:
            completed = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise JobFailed(f"the job exceeded MaxRuntimeInSeconds ({timeout:.0f} s); logs: {log}") from None
    return completed.returncode


def _last_error_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line
    return lines[-1] if lines else "no output"


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # One thread per library: the host runs several jobs' worth of work on few cores.
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = env["MKL_NUM_THREADS"] = "1"
    return env


def run_processing_job(
    arguments: dict[str, Any],
    *,
    root: Path,
    log: Path,
    transfer: S3Transfer,
    environment: Mapping[str, str] | None = None,
) -> None:
    """Execute a resolved CreateProcessingJob request; raise JobFailed with SageMaker's kind of reason.

    An InstanceCount above one runs the job once per instance (`algo-1`, ... in
    /opt/ml/config/resourceconfig.json), one after another, each with its share of ShardedByS3Key
    inputs; every instance's outputs go to the same S3 URIs, as in SageMaker. `environment` is
    what the container would get from its role (credentials, endpoint)."""
    count = int(arguments.get("ProcessingResources", {}).get("ClusterConfig", {}).get("InstanceCount", 1))
    hosts = [f"algo-{index + 1}" for index in range(count)]
    for index, host in enumerate(hosts):
        host_root = root if count == 1 else root / host
        host_log = log if count == 1 else log.with_name(f"{log.stem}-{host}{log.suffix}")
        config = local_path(host_root, "/opt/ml/config/resourceconfig.json")
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps({"current_host": host, "hosts": hosts}))
        _run_processing_instance(
            arguments,
            root=host_root,
            log=host_log,
            transfer=transfer,
            shard=(index, count),
            environment=environment,
        )


def _run_processing_instance(
    arguments: dict[str, Any],
    *,
    root: Path,
    log: Path,
    transfer: S3Transfer,
    shard: tuple[int, int],
    environment: Mapping[str, str] | None,
) -> None:
    for item in arguments.get("ProcessingInputs", []):
        s3_input = item.get("S3Input")
        if not s3_input:
            raise JobFailed(f"input '{item.get('InputName')}': only S3 inputs are supported locally")
        sharded = s3_input.get("S3DataDistributionType") == "ShardedByS3Key"
        transfer.download(
            s3_input["S3Uri"],
            local_path(root, s3_input["LocalPath"]),
            what=f"input '{item['InputName']}'",
            shard=shard if sharded else (0, 1),
        )
    outputs = arguments.get("ProcessingOutputConfig", {}).get("Outputs", [])
    for item in outputs:
        local_path(root, item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
    app = arguments["AppSpecification"]
    entrypoint = [_rewrite(str(v), root) for v in app.get("ContainerEntrypoint", [])]
    if not entrypoint:
        raise JobFailed("the local runner needs a ContainerEntrypoint (python3 SCRIPT)")
    if Path(entrypoint[0]).name.startswith("python"):
        entrypoint[0] = sys.executable
    command = entrypoint + [_rewrite(str(v), root) for v in app.get("ContainerArguments", [])]
    env = {
        **_base_env(),
        **dict(environment or {}),
        **{k: str(v) for k, v in (arguments.get("Environment") or {}).items()},
    }
    timeout = float(arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 86400))
    code = _run(command, cwd=root, env=env, log=log, timeout=timeout)
    if code != 0:
        raise JobFailed(f"AlgorithmError: {_last_error_line(log)} (exit code {code}); logs: {log}")
    for item in outputs:
        transfer.upload_folder(local_path(root, item["S3Output"]["LocalPath"]), item["S3Output"]["S3Uri"])


def pack_model(model_dir: Path, archive: Path) -> None:
    """`model.tar.gz` of the model folder's contents, paths relative to it (as SageMaker packs it)."""
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)


def run_training_job(
    arguments: dict[str, Any], *, job_name: str, root: Path, log: Path, transfer: S3Transfer
) -> str:
    """Execute a resolved CreateTrainingJob request (script mode); return the model artifact's S3 URI."""
    opt = root / "opt_ml"
    hyperparameters = {str(k): str(v) for k, v in (arguments.get("HyperParameters") or {}).items()}
    channels = []
    for channel in arguments.get("InputDataConfig", []):
        name = channel["ChannelName"]
        source = channel["DataSource"]["S3DataSource"]
        transfer.download(source["S3Uri"], opt / "input" / "data" / name, what=f"channel '{name}'")
        channels.append(name)
    program = hyperparameters.get("sagemaker_program", "").strip('"')
    submit = hyperparameters.get("sagemaker_submit_directory", "").strip('"')
    if not program or not submit:
        raise JobFailed("the local runner runs script mode: sagemaker_program and sagemaker_submit_directory")
    code_dir = opt / "code"
    transfer.download(submit, root / "submit", what="sagemaker_submit_directory")
    for archive in (root / "submit").glob("*.tar.gz"):
        try:
            extract_archive(archive, code_dir)
        except UnsafeArchive as exc:
            raise JobFailed(f"sagemaker_submit_directory {archive.name} is refused: {exc}") from None
    user = {k: v for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}
    config = opt / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "inputdataconfig.json").write_text(
        json.dumps({c: {"TrainingInputMode": "File"} for c in channels})
    )
    (config / "resourceconfig.json").write_text(json.dumps({"current_host": "algo-1", "hosts": ["algo-1"]}))
    for folder in ("model", "output/data"):
        (opt / folder).mkdir(parents=True, exist_ok=True)
    env = {
        **_base_env(),
        **{k: str(v) for k, v in (arguments.get("Environment") or {}).items()},
        "SM_MODEL_DIR": str(opt / "model"),
        "SM_INPUT_DIR": str(opt / "input"),
        "SM_INPUT_CONFIG_DIR": str(config),
        "SM_OUTPUT_DIR": str(opt / "output"),
        "SM_OUTPUT_DATA_DIR": str(opt / "output" / "data"),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(user, sort_keys=True),
        "SM_CURRENT_HOST": "algo-1",
        "SM_HOSTS": json.dumps(["algo-1"]),
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0",
        "SM_USER_ENTRY_POINT": program,
        "SM_MODULE_DIR": submit,
        "SM_TRAINING_JOB_NAME": job_name,
        "PYTHONPATH": str(code_dir),
        **{f"SM_CHANNEL_{c.upper()}": str(opt / "input" / "data" / c) for c in channels},
        **{f"SM_HP_{k.upper()}": v for k, v in user.items()},
    }
    command = [sys.executable, str(code_dir / program)]
    for key in sorted(user):
        command += [f"--{key}", user[key]]
    timeout = float(arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 86400))
    code = _run(command, cwd=code_dir, env=env, log=log, timeout=timeout)
    if code != 0:
        failure = opt / "output" / "failure"
        detail = failure.read_text().strip() if failure.is_file() else _last_error_line(log)
        raise JobFailed(f"AlgorithmError: {detail} (exit code {code}); logs: {log}")
    output_path = str(arguments["OutputDataConfig"]["S3OutputPath"]).rstrip("/")
    archive = root / "model.tar.gz"
    pack_model(opt / "model", archive)
    model_uri = f"{output_path}/{job_name}/output/model.tar.gz"
    transfer.upload_file(archive, model_uri)
    data = opt / "output" / "data"
    if any(data.iterdir()):
        outputs = root / "output.tar.gz"
        pack_model(data, outputs)
        transfer.upload_file(outputs, f"{output_path}/{job_name}/output/output.tar.gz")
    return model_uri
