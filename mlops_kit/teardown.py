"""Tear an environment down: first what the kit created at run time, which no Terraform state
holds, then the environment's stack.

Terraform alone cannot destroy an environment the kit has used: SageMaker refuses to delete a model
package group that still holds versions, and the models, endpoint configurations and training
pipelines that pipelines and promotions created are in no state. `kit_created_resources` lists them
(strictly by the environment's own names, so environments sharing an account are left alone),
`remove_kit_resources` deletes them one by one, and the stack's destroy runs last. Every step is
idempotent: a step that fails stops the teardown naming what is left, and a re-run finishes it.

The destroy keeps the audit log's bucket (Object Lock holds its records for their retention; neither
AWS nor Terraform can remove them) and the KMS key that encrypts them: they leave the state, stay in
AWS, and the next deploy through the kit imports them (mlops_kit.stack_deploy.RETAINED_CONSTRUCTS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mlops_kit.aws.clients import AwsClients
from mlops_kit.config import Environment, ResourceNames
from mlops_kit.errors import BadInput, NotFound, OperationFailed
from mlops_kit.stack_deploy import DestroyResult, RetainedResource

BOOTSTRAP_SUFFIX = "-bootstrap"  # Terraform's bootstrap model and endpoint configuration


@dataclass(frozen=True)
class KitResource:
    """One thing the kit created in an environment at run time."""

    kind: str  # "model package", "endpoint configuration", "model", "pipeline", "objects", "images"
    name: str
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.detail})" if self.detail else "")


def check_teardown_allowed(env: Environment) -> None:
    """BadInput unless the environment's file allows tearing it down (`allow_teardown: true`)."""
    if not env.allow_teardown:
        raise BadInput(
            f"environment {env.name} does not allow teardown: its file does not set allow_teardown: true"
            + (" (prod keeps its registry, audit trail and endpoint)" if env.name == "prod" else "")
        )


def _pages(
    clients: AwsClients, action: str, fn: Callable[..., Any], key: str, **kwargs: Any
) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = clients.call(action, fn, **kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _own(name: str, prefixes: list[str], bootstrap: set[str]) -> bool:
    return any(name.startswith(p) for p in prefixes) and name not in bootstrap


def kit_created_resources(clients: AwsClients, env: Environment) -> list[KitResource]:
    """What the kit created in `env` at run time and the stack's destroy would not remove, in the
    order it must be removed."""
    names = ResourceNames(env)
    sagemaker, s3, ecr = clients.client("sagemaker"), clients.client("s3"), clients.client("ecr")
    found: list[KitResource] = []
    prefixes = [f"{names.endpoint(model)}-" for model in env.models]
    bootstrap = {f"{names.endpoint(model)}{BOOTSTRAP_SUFFIX}" for model in env.models}
    for model in env.models:
        group = names.model_package_group(model)
        try:
            packages = list(
                _pages(
                    clients,
                    f"list the versions of {group}",
                    sagemaker.list_model_packages,
                    "ModelPackageSummaryList",
                    ModelPackageGroupName=group,
                )
            )
        except NotFound:
            packages = []
        found += [KitResource("model package", p["ModelPackageArn"]) for p in packages]
    configs = _pages(
        clients, "list endpoint configurations", sagemaker.list_endpoint_configs, "EndpointConfigs"
    )
    found += [
        KitResource("endpoint configuration", c["EndpointConfigName"])
        for c in configs
        if _own(c["EndpointConfigName"], prefixes, bootstrap)
    ]
    models = _pages(clients, "list models", sagemaker.list_models, "Models")
    found += [
        KitResource("model", m["ModelName"]) for m in models if _own(m["ModelName"], prefixes, bootstrap)
    ]
    pipelines = {
        p["PipelineName"]
        for p in _pages(clients, "list pipelines", sagemaker.list_pipelines, "PipelineSummaries")
    }
    for model in env.models:
        # The training pipeline is upserted by `kit pipeline run`; the drift pipeline is the stack's.
        name = names.training_pipeline(model)
        if name in pipelines:
            executions = list(
                _pages(
                    clients,
                    f"list the executions of {name}",
                    sagemaker.list_pipeline_executions,
                    "PipelineExecutionSummaries",
                    PipelineName=name,
                )
            )
            found.append(KitResource("pipeline", name, f"{len(executions)} execution(s)"))
    for bucket in (names.artifact_bucket, names.access_log_bucket):
        count = _object_versions(clients, s3, bucket, count_only=True)
        if count:
            found.append(KitResource("objects", bucket, f"{count} object version(s)"))
    for repository in env.registry.ecr_repositories:
        try:
            images = list(
                _pages(
                    clients,
                    f"list the images of {names.ecr_repository(repository)}",
                    ecr.list_images,
                    "imageIds",
                    repositoryName=names.ecr_repository(repository),
                )
            )
        except NotFound:
            images = []
        if images:
            found.append(KitResource("images", names.ecr_repository(repository), f"{len(images)} image(s)"))
    return found


def _object_versions(clients: AwsClients, s3: Any, bucket: str, *, count_only: bool) -> int:
    """Count (or delete) every object version and delete marker in `bucket`; 0 for a missing bucket."""
    total = 0
    key_marker: str | None = None
    version_marker: str | None = None
    while True:
        markers = {"KeyMarker": key_marker, "VersionIdMarker": version_marker} if key_marker else {}
        try:
            page = clients.call(
                f"list the objects of {bucket}", s3.list_object_versions, Bucket=bucket, **markers
            )
        except NotFound:
            return total
        entries = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        total += len(entries)
        if entries and not count_only:
            result = clients.call(
                f"delete objects of {bucket}",
                s3.delete_objects,
                Bucket=bucket,
                Delete={"Objects": entries, "Quiet": True},
            )
            if result.get("Errors"):
                first = result["Errors"][0]
                raise OperationFailed(
                    f"could not delete s3://{bucket}/{first['Key']}: {first.get('Message')}"
                )
        if not page.get("IsTruncated"):
            return total
        key_marker, version_marker = page.get("NextKeyMarker"), page.get("NextVersionIdMarker")


def remove_kit_resource(clients: AwsClients, env: Environment, resource: KitResource) -> None:
    """Delete one resource (already gone counts as deleted)."""
    sagemaker = clients.client("sagemaker")
    action = f"delete {resource.label}"
    try:
        if resource.kind == "model package":
            clients.call(action, sagemaker.delete_model_package, ModelPackageName=resource.name)
        elif resource.kind == "endpoint configuration":
            clients.call(action, sagemaker.delete_endpoint_config, EndpointConfigName=resource.name)
        elif resource.kind == "model":
            clients.call(action, sagemaker.delete_model, ModelName=resource.name)
        elif resource.kind == "pipeline":
            clients.call(action, sagemaker.delete_pipeline, PipelineName=resource.name)
        elif resource.kind == "objects":
            _object_versions(clients, clients.client("s3"), resource.name, count_only=False)
        elif resource.kind == "images":
            ecr = clients.client("ecr")
            for batch in _batches(
                list(_pages(clients, action, ecr.list_images, "imageIds", repositoryName=resource.name)), 100
            ):
                clients.call(action, ecr.batch_delete_image, repositoryName=resource.name, imageIds=batch)
        else:
            raise ValueError(f"unknown kind {resource.kind}")
    except NotFound:
        return
    except OperationFailed as exc:
        if "Could not find" in str(exc) or "does not exist" in str(exc):
            return
        raise


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def remove_kit_resources(
    clients: AwsClients,
    env: Environment,
    resources: list[KitResource],
    *,
    on_removed: Callable[[KitResource], None] | None = None,
) -> None:
    """Delete `resources` in order; on a failure, OperationFailed naming the failed step and what
    is left (a re-run of the teardown lists and removes the rest)."""
    for index, resource in enumerate(resources):
        try:
            remove_kit_resource(clients, env, resource)
        except OperationFailed as exc:
            left = [r.label for r in resources[index:]]
            raise OperationFailed(
                f"teardown of {env.name} stopped at {resource.label}: {exc.message}; "
                f"left: {', '.join(left)}; the stack was not destroyed",
                hint="run the teardown again to finish it",
            ) from None
        if on_removed:
            on_removed(resource)


@dataclass(frozen=True)
class TeardownResult:
    environment: str
    removed: list[KitResource]
    destroy_log: str
    kept: list[RetainedResource]  # the audit log and its key, out of the state and still in AWS


def teardown_environment(
    env: Environment,
    clients: AwsClients,
    *,
    destroy: Callable[[], DestroyResult],
    on_removed: Callable[[KitResource], None] | None = None,
) -> TeardownResult:
    """Remove what the kit created in `env` (holding each model's promotion lock, so no promotion
    adds to it meanwhile), then run `destroy` (the stack's `cdktf destroy`). BadInput when the
    environment's file does not allow it."""
    from contextlib import ExitStack, suppress

    from mlops_kit.promotion.lock import PromotionLock

    check_teardown_allowed(env)
    with ExitStack() as locks:
        for model in env.models:
            # A re-run after the stack's destroy began finds the lock table gone: nothing to hold.
            with suppress(NotFound):
                locks.enter_context(
                    PromotionLock(clients, env, model, owner=clients.principal_arn, purpose="teardown")
                )
        resources = kit_created_resources(clients, env)
        remove_kit_resources(clients, env, resources, on_removed=on_removed)
    destroyed = destroy()
    return TeardownResult(env.name, resources, str(destroyed.log_file), destroyed.retained)
