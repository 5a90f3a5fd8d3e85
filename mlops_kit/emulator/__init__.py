"""The local AWS: moto server on 127.0.0.1, extended where the kit needs what moto lacks."""

from mlops_kit.emulator.server import (
    DEFAULT_PORT,
    EmulatorStatus,
    emulator_status,
    local_aws_environment,
    start_emulator,
    stop_emulator,
)

__all__ = [
    "DEFAULT_PORT",
    "EmulatorStatus",
    "emulator_status",
    "local_aws_environment",
    "start_emulator",
    "stop_emulator",
]
