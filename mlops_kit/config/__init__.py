"""Environment configuration: models, the loader, and derived resource names."""

from mlops_kit.config.loader import (
    environment_names,
    environments_dir,
    load_all_environments,
    load_environment,
    load_environment_file,
)
from mlops_kit.config.models import ENVIRONMENT_ORDER, Environment
from mlops_kit.config.names import ResourceNames

__all__ = [
    "ENVIRONMENT_ORDER",
    "Environment",
    "ResourceNames",
    "environment_names",
    "environments_dir",
    "load_all_environments",
    "load_environment",
    "load_environment_file",
]
