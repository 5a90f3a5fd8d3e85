"""The twin's extensions to moto: every API or behaviour the kit needs that moto lacks, by AWS service.

Nothing in the product branches on "local": the stacks, the CLI and the services talk to the
emulator exactly as they talk to AWS. Each service package (`local_aws/sagemaker/`,
`local_aws/cloudwatch/`, ...) has an `install()` applying its patches; each patch names the moto gap
it closes (moto 5.2.5). Patches apply inside the emulator process only.
"""

from __future__ import annotations

from collections.abc import Callable

from local_aws import (
    application_autoscaling,
    cloudwatch,
    eks,
    iam_conditions,
    s3,
    sagemaker,
    service_quotas,
    sns,
)

# In the order they are applied. Alarms come last: their actions start pipelines and read endpoints.
EXTENSIONS: tuple[Callable[[], None], ...] = (
    sagemaker.install,
    eks.install,
    application_autoscaling.install,
    iam_conditions.install,
    s3.install,
    service_quotas.install,
    sns.install,
    cloudwatch.install,
)

_installed = False


def install_extensions() -> None:
    """Patch moto in this process (idempotent). Call before serving any request."""
    global _installed
    if _installed:
        return
    for install in EXTENSIONS:
        install()
    _installed = True
