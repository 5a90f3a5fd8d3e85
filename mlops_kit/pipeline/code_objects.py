"""How a pipeline's code objects are stored in S3; shared by the kit's uploads and the stacks' drift
code objects, so a run and `terraform plan` agree on every attribute of an object both write."""

from __future__ import annotations


def code_content_type(name: str) -> str:
    """The Content-Type of a step's code object: Python source, or bytes."""
    return "text/x-python" if name.endswith(".py") else "application/octet-stream"
