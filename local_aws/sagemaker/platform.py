"""SageMaker gaps the platform stacks hit: what `terraform apply`, `plan` and `destroy` need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap as _wrap

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


def install() -> None:
    """Apply this module's patches."""
    _sagemaker_instance_types()
    _sagemaker_model_network_isolation()
    _sagemaker_delete_model_package_group()
    _sagemaker_delete_model_package()
