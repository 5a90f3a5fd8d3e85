"""Demo benchmark: runs `kit demo` once (a fresh emulator on its own port) and prints the time per stage.

Goal: the whole demo <= 5 minutes on a 2-core machine after set-up.

    .venv/bin/python benchmarks/demo.py [--port 4590]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=4590)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "KIT_STATE_DIR": state, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "cli.main", "demo", "--port", str(args.port)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        total = time.perf_counter() - started
        subprocess.run(
            [sys.executable, "-m", "cli.main", "local", "down", "--port", str(args.port)],
            cwd=REPO,
            env=env,
            capture_output=True,
            check=False,
        )
        if completed.returncode != 0:
            print(completed.stdout[-3000:], completed.stderr[-3000:])
            print(f"demo FAILED (exit {completed.returncode}) after {total:.0f} s")
            return 1
        timings = json.loads((Path(state) / "demo" / "timings.json").read_text())
    for stage, seconds in timings.items():
        print(f"{stage:<75} {seconds:6.0f} s")
    verdict = "met" if total <= 300 else "NOT met"
    print(f"{'total (process wall time)':<75} {total:6.0f} s  (goal <= 300 s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
