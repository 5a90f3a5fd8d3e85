"""Demo benchmark: runs `kit demo` (a fresh emulator on its own port) and prints the time per stage.

Goals: the whole demo <= 5 minutes on a 2-core machine after set-up; IAM evaluation (on by default)
costs at most 10% of it.

    .venv/bin/python benchmarks/demo.py [--port 4590]
    .venv/bin/python benchmarks/demo.py --iam-cost [--pairs 2]   # with and without IAM, in turn

`--iam-cost` runs the demo without IAM evaluation (`kit demo --no-iam`) and with it, alternately,
`--pairs` times each, and prints each stage's median for both and the ratio on/off of the medians:
side by side in one run, so a machine that is busier in one half does not decide the verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOTAL = "total (process wall time)"


def run_demo(port: int, *, iam: bool) -> dict[str, float] | None:
    """One `kit demo` in a fresh state folder: its stage timings and total, or None when it failed."""
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "KIT_STATE_DIR": state, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "cli.main", "demo", "--port", str(port), *([] if iam else ["--no-iam"])],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        total = time.perf_counter() - started
        subprocess.run(
            [sys.executable, "-m", "cli.main", "local", "down", "--port", str(port)],
            cwd=REPO,
            env=env,
            capture_output=True,
            check=False,
        )
        if completed.returncode != 0:
            print(completed.stdout[-3000:], completed.stderr[-3000:])
            print(f"demo FAILED (exit {completed.returncode}) after {total:.0f} s")
            return None
        timings: dict[str, float] = json.loads((Path(state) / "demo" / "timings.json").read_text())
    return {**timings, TOTAL: total}


def iam_cost(port: int, pairs: int) -> int:
    runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for pair in range(pairs):
        for iam in (False, True):
            timings = run_demo(port, iam=iam)
            if timings is None:
                return 1
            runs[iam].append(timings)
            print(f"pair {pair + 1}, IAM {'on ' if iam else 'off'}: {timings[TOTAL]:.0f} s", flush=True)
    print(f"{'stage':<70} {'off':>7} {'on':>7} {'on/off':>7}   (medians of {pairs})")
    for stage in runs[True][0]:
        off = statistics.median(r[stage] for r in runs[False])
        on = statistics.median(r[stage] for r in runs[True])
        ratio = f"{on / off:7.2f}" if off >= 1 else "      -"
        print(f"{stage:<70} {off:6.0f}s {on:6.0f}s {ratio}")
    ratio = statistics.median(r[TOTAL] for r in runs[True]) / statistics.median(r[TOTAL] for r in runs[False])
    verdict = "met" if ratio <= 1.10 else "NOT met"
    print(f"IAM evaluation costs {100 * (ratio - 1):+.1f}% of the demo (goal <= +10%: {verdict})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=4590)
    parser.add_argument("--iam-cost", action="store_true", help="the demo without and with IAM, in turn")
    parser.add_argument("--pairs", type=int, default=2, help="runs of each with --iam-cost")
    args = parser.parse_args()
    if args.iam_cost:
        return iam_cost(args.port, args.pairs)
    timings = run_demo(args.port, iam=True)
    if timings is None:
        return 1
    for stage, seconds in timings.items():
        print(f"{stage:<75} {seconds:6.0f} s")
    verdict = "met" if timings[TOTAL] <= 300 else "NOT met"
    print(f"(goal: total <= 300 s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
