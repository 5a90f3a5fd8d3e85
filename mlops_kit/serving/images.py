"""Container images the kit runs on SageMaker (scikit-learn framework images)."""

from __future__ import annotations

from mlops_kit.errors import BadInput

SKLEARN_FRAMEWORK_VERSION = "1.2-1"

# Accounts that publish SageMaker's scikit-learn images, per region (from the SageMaker
# documentation's "Docker Registry Paths and Example Code" tables).
_SKLEARN_IMAGE_ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-central-1": "492215442770",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-northeast-1": "354813040037",
}


def sklearn_image_uri(region: str, version: str = SKLEARN_FRAMEWORK_VERSION) -> str:
    """The SageMaker scikit-learn CPU image for `region`."""
    account = _SKLEARN_IMAGE_ACCOUNTS.get(region)
    if account is None:
        raise BadInput(
            f"region: no scikit-learn image registered for {region}",
            hint=f"supported: {', '.join(sorted(_SKLEARN_IMAGE_ACCOUNTS))}",
        )
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-scikit-learn:{version}-cpu-py3"
