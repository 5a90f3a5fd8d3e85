"""Checkov skips, attached to the resource they concern together with the reason.

checkov's terraform_json runner ignores inline skip comments, so each skip is written into the
resource's `//` comment property (Terraform ignores it) and `checkov_baseline` turns those into a
checkov baseline file. A skip therefore always sits in code next to the resource, with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdktf import TerraformResource

SKIP_PREFIX = "checkov:skip="
# Checks whose findings checkov's terraform_json runner names `resource.<name>` instead of
# `<type>.<name>` (observed with checkov 3.3.30 for CKV_AWS_61).
REPORTED_WITHOUT_TYPE = frozenset({"CKV_AWS_61"})


def skip_check(resource: TerraformResource, check_id: str, reason: str) -> None:
    """Record that `check_id` does not apply to `resource`, and why."""
    if not reason.strip():
        raise ValueError(f"a checkov skip of {check_id} needs a reason")
    resource.add_override(f"//.{SKIP_PREFIX}{check_id}", reason)


def skips_in(synthesized: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Every (resource address as checkov reports it, check id) skipped in a synthesized stack,
    mapped to its reason."""
    found: dict[tuple[str, str], str] = {}
    for rtype, resources in synthesized.get("resource", {}).items():
        for name, body in resources.items():
            for key, reason in (body.get("//") or {}).items():
                if key.startswith(SKIP_PREFIX):
                    check_id = key.removeprefix(SKIP_PREFIX)
                    kind = "resource" if check_id in REPORTED_WITHOUT_TYPE else rtype
                    found[(f"{kind}.{name}", check_id)] = reason
    return found


def checkov_baseline(stack_json: Path) -> dict[str, Any]:
    """A checkov baseline that suppresses exactly the recorded skips of one synthesized stack."""
    skips = skips_in(json.loads(stack_json.read_text()))
    by_resource: dict[str, list[str]] = {}
    for (resource, check_id), _reason in sorted(skips.items()):
        by_resource.setdefault(resource, []).append(check_id)
    findings = [{"resource": r, "check_ids": ids} for r, ids in sorted(by_resource.items())]
    return {"failed_checks": [{"file": f"/{stack_json.name}", "findings": findings}]}
