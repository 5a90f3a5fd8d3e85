"""cdktf app entry (named in cdktf.json): synthesize every environment's stack.

Local mode is `AWS_ENDPOINT_URL`: when it is set the stacks target the emulator.
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
    build_app(environments, outdir=outdir, emulator=emulator, state_dir=state_dir).synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
