"""A distributed training job on the EKS cluster: its request checked against the pool it names, and
its manifests (a headless Service and an indexed Job, one pod per node) rendered as plain data.

Each pod gets what a torchrun-style launcher expects: RANK (the Job's completion index), WORLD_SIZE,
MASTER_ADDR (pod 0's stable DNS name through the headless Service), MASTER_PORT, plus the data and
model locations of the kit's `train.py` contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mlops_kit.cluster.gpu_instances import gpu_instance
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.config.cluster_names import ARTIFACTS_PREFIX, POOL_LABEL, TRAINING_SERVICE_ACCOUNT
from mlops_kit.config.models import GpuNodePool
from mlops_kit.errors import BadInput
from mlops_kit.pipeline.dataset import dataset_uri

MASTER_PORT = 29500
# Where the container finds the kit's step scripts and writes the model (the SageMaker layout).
CODE_DIR = "/opt/ml/code"
MODEL_DIR = "/opt/ml/model"
WORKER_SCRIPT = "train_distributed.py"
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@dataclass(frozen=True)
class TrainingJob:
    """A checked request: which model trains on which pool, how wide, from which image."""

    env: Environment
    model: str
    pool: GpuNodePool
    gpus: int
    nodes: int
    image: str
    run_id: str

    @property
    def name(self) -> str:
        return f"{self.model}-{self.run_id}"[:52].rstrip("-")

    @property
    def namespace(self) -> str:
        return self.env.training_cluster.namespace

    @property
    def artifact_uri(self) -> str:
        bucket = ResourceNames(self.env).artifact_bucket
        return f"s3://{bucket}/{ARTIFACTS_PREFIX}{self.model}/{self.run_id}/model/"

    @property
    def master_addr(self) -> str:
        return f"{self.name}-0.{self.name}.{self.namespace}.svc.cluster.local"


def default_image(env: Environment) -> str:
    """The environment's training image (its `training` ECR repository)."""
    return (
        f"{env.account_id}.dkr.ecr.{env.region}.amazonaws.com/"
        f"{ResourceNames(env).ecr_repository('training')}:latest"
    )


def plan_training_job(
    env: Environment,
    *,
    run_id: str,
    model: str | None = None,
    pool: str | None = None,
    gpus: int = 1,
    nodes: int = 1,
    image: str | None = None,
) -> TrainingJob:
    """Check a request against the environment's config; BadInput naming the value otherwise."""
    pools = {p.name: p for p in env.training_cluster.gpu_node_pools}
    if not pools:
        raise BadInput(f"environment {env.name} has no GPU node pools", argument="pool")
    chosen = pools.get(pool) if pool else next(iter(pools.values()))
    if chosen is None:
        raise BadInput(f"{pool} is not a pool of {env.name} (pools: {', '.join(pools)})", argument="pool")
    model = model or env.models[0]
    if model not in env.models:
        raise BadInput(f"{model} is not a model of {env.name} ({', '.join(env.models)})", argument="model")
    if gpus < 1:
        raise BadInput(f"{gpus}: must be at least 1", argument="gpus")
    per_node = min(gpu_instance(t).gpus for t in chosen.instance_types)
    if gpus > per_node:
        raise BadInput(
            f"{gpus} GPUs per node, but pool {chosen.name} ({', '.join(chosen.instance_types)}) "
            f"has {per_node} per node",
            argument="gpus",
        )
    if not 1 <= nodes <= chosen.scaling.max_size:
        raise BadInput(
            f"{nodes} nodes, but pool {chosen.name} scales to at most {chosen.scaling.max_size}",
            argument="nodes",
        )
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", run_id):
        raise BadInput(f"{run_id}: lowercase letters, digits and dashes only", argument="run_id")
    return TrainingJob(env, model, chosen, gpus, nodes, image or default_image(env), run_id)


def worker_environment(job: TrainingJob) -> dict[str, str]:
    """The variables every worker gets (RANK is per pod: the completion index)."""
    return {
        "WORLD_SIZE": str(job.nodes),
        "MASTER_ADDR": job.master_addr,
        "MASTER_PORT": str(MASTER_PORT),
        "LOCAL_WORLD_SIZE": str(job.gpus),
        "KIT_DATA_URI": dataset_uri(job.env, job.model),
        "KIT_ARTIFACT_URI": job.artifact_uri,
        "SM_MODEL_DIR": MODEL_DIR,
    }


def tolerations(pool: GpuNodePool) -> list[dict[str, str]]:
    """Tolerate the GPU taint every kit pool carries and the pool's own taints."""
    found = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    for taint in pool.taints:
        if taint.key != "nvidia.com/gpu":
            found.append(
                {
                    "key": taint.key,
                    "operator": "Equal",
                    "value": taint.value,
                    "effect": _EFFECTS[taint.effect],
                }
            )
    return found


def job_manifests(job: TrainingJob) -> list[dict[str, Any]]:
    """The headless Service (stable pod DNS names) and the indexed Job, in apply order."""
    labels = {
        "app.kubernetes.io/managed-by": "mlops-kit",
        "mlops-kit/job": job.name,
        "mlops-kit/model": job.model,
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": job.name, "namespace": job.namespace, "labels": labels},
        "spec": {
            "clusterIP": "None",
            "selector": {"mlops-kit/job": job.name},
            "ports": [{"name": "rendezvous", "port": MASTER_PORT, "targetPort": MASTER_PORT}],
            "publishNotReadyAddresses": True,
        },
    }
    rank = {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}
    env = [{"name": "RANK", "valueFrom": rank}] + [
        {"name": k, "value": v} for k, v in worker_environment(job).items()
    ]
    gpu = {"nvidia.com/gpu": str(job.gpus)}
    pod = {
        "metadata": {"labels": labels},
        "spec": {
            "serviceAccountName": TRAINING_SERVICE_ACCOUNT,
            "subdomain": job.name,
            "restartPolicy": "Never",
            "nodeSelector": {POOL_LABEL: job.pool.name},
            "tolerations": tolerations(job.pool),
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "worker",
                    "image": job.image,
                    "command": ["python", f"{CODE_DIR}/{WORKER_SCRIPT}"],
                    "env": env,
                    "ports": [{"name": "rendezvous", "containerPort": MASTER_PORT}],
                    "resources": {"requests": gpu, "limits": gpu},
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    "volumeMounts": [{"name": "model", "mountPath": MODEL_DIR}],
                }
            ],
            "volumes": [{"name": "model", "emptyDir": {}}],
        },
    }
    job_manifest = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job.name, "namespace": job.namespace, "labels": labels},
        "spec": {
            "completionMode": "Indexed",
            "completions": job.nodes,
            "parallelism": job.nodes,
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 86400,
            "template": pod,
        },
    }
    return [service, job_manifest]
