"""The kit's extensions to moto: every API or behaviour the kit needs that moto lacks, in one place.

Nothing else in the kit branches on "local": the stacks, the CLI and the services talk to the
emulator exactly as they talk to AWS. Each submodule covers one area and each patch names the moto
gap it closes (moto 5.2.5). Patches apply inside the emulator process only.
"""

from __future__ import annotations

from mlops_kit.emulator.extensions import alarms, endpoints, pipelines, platform, serving

_installed = False


def install_extensions() -> None:
    """Patch moto in this process (idempotent). Call before serving any request."""
    global _installed
    if _installed:
        return
    platform.install()
    pipelines.install()
    endpoints.install()
    serving.install()
    alarms.install()
    _installed = True
