"""cdktf app entry (named in cdktf.json): synthesize every environment's stack.

Local mode is `AWS_ENDPOINT_URL`: when it is set the stacks target the emulator.
`KIT_STACK_CREDENTIALS=caller`: the AWS provider uses the caller's credentials instead of assuming the
deploy role (the read-only plan of `kit stack diff`; a workflow that assumed its role through OIDC).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlops_kit.config import load_all_environments
from mlops_kit.errors import KitError


def main() -> int:
    try:
        environments = load_all_environments()
    except KitError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    from stacks.app import build_app

    outdir = os.environ.get("CDKTF_OUTDIR", "cdktf.out")
    # Local Terraform state (emulator deployments) lives beside the emulator's files.
    state_dir = str((Path(os.environ.get("KIT_STATE_DIR", ".kit")) / "terraform-state").resolve())
    emulator = bool(os.environ.get("AWS_ENDPOINT_URL"))
    as_caller = os.environ.get("KIT_STACK_CREDENTIALS") == "caller"
    app = build_app(
        environments,
        outdir=outdir,
        emulator=emulator,
        state_dir=state_dir,
        assume_deploy_role=not as_caller,
    )
    app.synth()
    remove_other_format(Path(outdir), hcl=bool(app.hcl_output))
    return 0


def remove_other_format(outdir: Path, *, hcl: bool) -> None:
    """cdktf leaves the previous synth's file when the format changes: after `synth --hcl`, a stack
    folder holds both `cdk.tf` and `cdk.tf.json`, and Terraform refuses every resource as declared
    twice. Keep only the format just written."""
    stale = "cdk.tf.json" if hcl else "cdk.tf"
    for leftover in outdir.glob(f"stacks/*/{stale}"):
        leftover.unlink()


if __name__ == "__main__":
    raise SystemExit(main())
