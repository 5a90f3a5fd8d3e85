"""Gaps the platform stacks hit: what `terraform apply`, `plan` and `destroy` of an environment need."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mlops_kit.emulator.extensions.patching import wrap as _wrap

# Current SageMaker hosting instance families missing from moto's (older) enum of valid types.
EXTRA_SAGEMAKER_INSTANCE_FAMILIES = (
    "g5",
    "g6",
    "g6e",
    "p4d",
    "p4de",
    "p5",
    "p5e",
    "inf2",
    "trn1",
    "m6i",
    "m7i",
    "c6i",
    "c7i",
    "r6i",
    "r7i",
)
EXTRA_SAGEMAKER_INSTANCE_SIZES = (
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
)
EXTRA_SAGEMAKER_INSTANCE_TYPES = frozenset(
    f"ml.{family}.{size}"
    for family in EXTRA_SAGEMAKER_INSTANCE_FAMILIES
    for size in EXTRA_SAGEMAKER_INSTANCE_SIZES
)


def _sagemaker_instance_types() -> None:
    """moto's SageMaker enum of instance types predates ml.g5 and newer families; accept those too."""
    from moto.sagemaker import models

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def validate_instance_type(self: Any, instance_type: str) -> None:
            if instance_type in EXTRA_SAGEMAKER_INSTANCE_TYPES:
                return
            original(self, instance_type)

        return validate_instance_type

    _wrap(models.FakeEndpointConfig, "validate_instance_type", make)


def _sagemaker_model_network_isolation() -> None:
    """moto drops CreateModel's EnableNetworkIsolation and always describes the model as False."""
    from moto.sagemaker.responses import SageMakerResponse

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_model(self: Any) -> Any:
            result = original(self)
            model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
            model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
            return result

        return create_model

    _wrap(SageMakerResponse, "create_model", make)


def _sagemaker_delete_model_package_group() -> None:
    """moto lacks DeleteModelPackageGroup, so `terraform destroy` of a registry fails."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    def delete_model_package_group(self: Any) -> str:
        backend = self.sagemaker_backend
        name = self._get_param("ModelPackageGroupName").split("/")[-1]
        if name not in backend.model_package_groups:
            raise ValidationError(message=f"Model Package Group {name} does not exist.")
        # Like AWS, refuse while versions remain in the group.
        if any(p.model_package_group_name == name for p in backend.model_packages.values()):
            raise ValidationError(message=f"Model Package Group {name} still contains model packages.")
        del backend.model_package_groups[name]
        return "{}"

    SageMakerResponse.delete_model_package_group = delete_model_package_group  # type: ignore[attr-defined]


def _sagemaker_delete_model_package() -> None:
    """moto lacks DeleteModelPackage, so a registry's versions cannot be removed (nor its group)."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    def delete_model_package(self: Any) -> str:
        backend = self.sagemaker_backend
        name = self._get_param("ModelPackageName")
        key = backend.model_package_name_mapping.get(name, name)
        if key not in backend.model_packages:
            raise ValidationError(message=f"Model package {name} does not exist.")
        package = backend.model_packages.pop(key)
        for alias in [a for a, target in backend.model_package_name_mapping.items() if target == key]:
            del backend.model_package_name_mapping[alias]
        backend.model_package_name_mapping.pop(package.arn, None)
        return "{}"

    SageMakerResponse.delete_model_package = delete_model_package  # type: ignore[attr-defined]


def _eks_access_config() -> None:
    """moto ignores CreateCluster's accessConfig and never returns it, so every plan shows a diff."""
    from moto.eks.responses import EKSResponse

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_cluster(self: Any) -> Any:
            access = self._get_param("accessConfig") or {}
            result = original(self)
            cluster = self.eks_backend.clusters[self._get_param("name")]
            # Like AWS, describe only the mode (CONFIG_MAP when none was asked for).
            cluster.access_config = {"authenticationMode": access.get("authenticationMode", "CONFIG_MAP")}
            return result

        return create_cluster

    _wrap(EKSResponse, "create_cluster", make)


def _eks_nodegroup_update_config() -> None:
    """moto's CreateNodegroup drops `updateConfig`, so the first plan after apply wants to update it."""
    from moto.eks.responses import EKSResponse

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_nodegroup(self: Any) -> Any:
            result = original(self)
            update_config = self._get_param("updateConfig")
            if update_config:
                cluster = self.eks_backend.clusters[self._get_param("name")]
                cluster.nodegroups[self._get_param("nodegroupName")].update_config = update_config
            return result

        return create_nodegroup

    _wrap(EKSResponse, "create_nodegroup", make)


def _eks_nodegroup_remote_access() -> None:
    """moto invents an SSH key (`eksKeypair`) for node groups created without remote access."""
    from moto.eks.models import Nodegroup

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if not kwargs.get("remote_access"):
                self.remote_access = None

        return __init__

    _wrap(Nodegroup, "__init__", make)


def _application_autoscaling_tags() -> None:
    """moto's Application Auto Scaling drops tags and lacks ListTagsForResource/TagResource/UntagResource."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.utilities.tagging_service import TaggingService

    def tagger(backend: ApplicationAutoscalingBackend) -> TaggingService:
        if not hasattr(backend, "kit_tagger"):
            backend.kit_tagger = TaggingService()  # type: ignore[attr-defined]
        return backend.kit_tagger  # type: ignore[attr-defined,no-any-return]

    def make_register(original: Callable[..., Any]) -> Callable[..., Any]:
        def register_scalable_target(self: Any) -> str:
            body: str = original(self)
            tags = self._get_param("Tags") or {}
            if tags:
                arn = json.loads(body)["ScalableTargetARN"]
                tagger(self.applicationautoscaling_backend).tag_resource(
                    arn, TaggingService.convert_dict_to_tags_input(tags)
                )
            return body

        return register_scalable_target

    def list_tags_for_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        return json.dumps(
            {"Tags": tagger(self.applicationautoscaling_backend).get_tag_dict_for_resource(arn)}
        )

    def tag_resource(self: Any) -> str:
        tags = TaggingService.convert_dict_to_tags_input(self._get_param("Tags") or {})
        tagger(self.applicationautoscaling_backend).tag_resource(self._get_param("ResourceARN"), tags)
        return "{}"

    def untag_resource(self: Any) -> str:
        tagger(self.applicationautoscaling_backend).untag_resource_using_names(
            self._get_param("ResourceARN"), self._get_param("TagKeys") or []
        )
        return "{}"

    _wrap(ApplicationAutoScalingResponse, "register_scalable_target", make_register)
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]


def _policy_conditions_scope_statements() -> None:
    """moto applies a statement whose condition key is absent from the request.

    In IAM a condition on a key the request does not carry does not hold (except for the
    `...IfExists` and `Null` operators), so the statement does not apply. moto instead ignores such
    conditions, and a TLS-only bucket policy (`Deny ... Bool aws:SecureTransport=false`) then refuses
    every request. (The emulator listens on loopback only.)
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    def absent_key(statement: dict[str, Any], incoming: dict[str, str] | None) -> bool:
        for operator, keys in (statement.get("Condition") or {}).items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in (incoming or {}) for key in keys):
                return True
        return False

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def is_action_permitted(
            self: Any,
            action: str,
            resource: str = "*",
            principal: str | None = None,
            incoming_condition_values: dict[str, str] | None = None,
        ) -> Any:
            if absent_key(self._statement, incoming_condition_values):
                return PermissionResult.NEUTRAL
            return original(self, action, resource, principal, incoming_condition_values)

        return is_action_permitted

    _wrap(IAMPolicyStatement, "is_action_permitted", make)


def _s3_log_delivery_policy_principal() -> None:
    """moto crashes (HTTP 500) on PutBucketLogging when the target bucket policy has `"Principal": "*"`."""
    from moto.s3.models import FakeBucket

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def check(target_bucket: Any, target_prefix: str | None) -> bool:
            policy = target_bucket.policy
            if not policy:
                return False
            statements = json.loads(policy.decode())["Statement"]
            with_service = [s for s in statements if isinstance(s.get("Principal"), dict)]

            class _View:
                def __init__(self) -> None:
                    self.policy = json.dumps({"Statement": with_service}).encode()
                    self.partition = target_bucket.partition
                    self.name = target_bucket.name

            return bool(original(_View(), target_prefix))

        return staticmethod(check)  # type: ignore[return-value]

    _wrap(FakeBucket, "_log_permissions_enabled_policy", make)


def install() -> None:
    """Apply this module's patches."""
    _sagemaker_instance_types()
    _sagemaker_model_network_isolation()
    _sagemaker_delete_model_package_group()
    _sagemaker_delete_model_package()
    _eks_access_config()
    _eks_nodegroup_remote_access()
    _eks_nodegroup_update_config()
    _application_autoscaling_tags()
    _policy_conditions_scope_statements()
    _s3_log_delivery_policy_principal()
