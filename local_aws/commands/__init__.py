"""The twin's `kit` commands, found by the kit's root group through the `mlops_kit.commands` entry point
(pyproject.toml). This table is all the root reads for `kit --help`: (module, attribute, help line)."""

from __future__ import annotations

import importlib.util

from mlops_kit.errors import BadInput

COMMANDS: dict[str, tuple[str, str, str]] = {
    "local": (
        "local_aws.commands.local",
        "app",
        "The local AWS emulator: up, down, status, env; train (an EKS job locally).",
    ),
    "demo": (
        "local_aws.commands.demo",
        "demo",
        "Start a fresh emulator, deploy dev/staging/prod, train, promote, serve, and catch drift.",
    ),
}

# What the `local` extra installs that the emulator process imports.
EXTRA_MODULES = ("moto", "flask")


def require_local_extra() -> None:
    """BadInput naming the install command when the `local` extra is not installed."""
    missing = []
    for name in EXTRA_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:
            found = False
        if not found:
            missing.append(name)
    if missing:
        raise BadInput(
            f"the local AWS twin needs the local extra ({', '.join(missing)} not installed): "
            "pip install 'mlops-kit[local]'"
        )
