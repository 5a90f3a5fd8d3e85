"""Drift checks against AWS: where the baseline and the current data are, and where results go.

The statistics are the drift engine's (`mlops_kit.drift`, pure); this package finds the inputs
(local files, S3, an environment's serving version and endpoint capture), runs the engine and
publishes the report and metrics.
"""

from mlops_kit.monitoring.drift_check import (
    DriftCheck,
    check_environment,
    check_sources,
    parse_since,
    thresholds_from_settings,
)
from mlops_kit.monitoring.s3_store import S3ObjectStore

__all__ = [
    "DriftCheck",
    "S3ObjectStore",
    "check_environment",
    "check_sources",
    "parse_since",
    "thresholds_from_settings",
]
