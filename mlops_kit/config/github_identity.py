"""`identity.github` of an environment file: the GitHub repository whose workflows may act here.

When present, the environment's stack declares the GitHub OIDC provider (once per account), a
read-only plan role for pull requests and, on the promotion path after dev, a release role for the
repository's GitHub environment of the same name.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

# GitHub: owner up to 39 characters (letters, digits, single hyphens), repository up to 100.
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}")


class GitHubIdentity(BaseModel):
    """The repository (`owner/name`) whose GitHub Actions OIDC tokens the stack trusts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repository: str

    @field_validator("repository")
    @classmethod
    def _owner_and_name(cls, value: str) -> str:
        if not _REPOSITORY.fullmatch(value) or value.split("/")[1] in {".", ".."}:
            raise ValueError(
                f"'{value}' is not a GitHub repository; expected OWNER/NAME, e.g. example-org/mlops-kit"
            )
        return value
