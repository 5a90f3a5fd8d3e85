"""Synth benchmark: synthesizing all three environments vs the floor of importing the AWS bindings.

Both are measured in fresh processes, interleaved, in one run; medians and their ratio are printed.
Goal: ratio <= 1.3 (synth adds little beyond the unavoidable import).

    .venv/bin/python benchmarks/synth.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLOOR = "import cdktf, cdktf_cdktf_provider_aws"


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    floors: list[float] = []
    synths: list[float] = []
    with tempfile.TemporaryDirectory() as out:
        env["CDKTF_OUTDIR"] = out
        for _ in range(args.repeats):
            floors.append(timed([sys.executable, "-c", FLOOR], env))
            synths.append(timed([sys.executable, "-m", "stacks"], env))
        stacks = sorted(p.name for p in (Path(out) / "stacks").iterdir())
    floor, synth = statistics.median(floors), statistics.median(synths)
    print(f"stacks synthesized: {', '.join(stacks)}")
    print(f"floor  (fresh process: {FLOOR}): median {floor:.2f} s  runs {[round(x, 2) for x in floors]}")
    print(
        f"synth  (fresh process: python -m stacks, 3 environments): median {synth:.2f} s  "
        f"runs {[round(x, 2) for x in synths]}"
    )
    ratio = synth / floor
    print(f"ratio synth/floor: {ratio:.2f}  (goal <= 1.30: {'met' if ratio <= 1.3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
