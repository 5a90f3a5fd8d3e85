"""checkov over every synthesized stack, with and without its recorded baseline, run in the background.

Each scan is a CPU-bound process of its own and needs only the synthesized stacks, so all of them start
together when the stacks package's first test begins; the first of those (the emulator deploy) mostly
waits on the AWS provider meanwhile. A test then takes its scan's report.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from mlops_kit.terraform import repository_root
from stacks.checkov_skips import checkov_baseline

CHECKOV = repository_root(Path(__file__)) / ".tools" / "checkov" / "bin" / "checkov"
SCAN_TIMEOUT_SECONDS = 300


class CheckovScans:
    """One running checkov scan per (stack, with baseline or not)."""

    def __init__(self, stack_files: dict[str, Path], folder: Path) -> None:
        self._scans: dict[tuple[str, bool], tuple[subprocess.Popen[str], Path]] = {}
        for name, stack_file in stack_files.items():
            baseline = folder / f"{name}-baseline.json"
            baseline.write_text(json.dumps(checkov_baseline(stack_file)))
            for with_baseline in (True, False):
                args = [
                    str(CHECKOV),
                    "-f",
                    str(stack_file),
                    "--framework",
                    "terraform_json",
                    "--skip-download",
                    "-o",
                    "json",
                ]
                if with_baseline:
                    args += ["--baseline", str(baseline)]
                output = folder / f"{name}-report-{'with' if with_baseline else 'without'}-baseline.json"
                # Output goes to a file: nothing reads a pipe while the scan runs.
                with output.open("w") as out:
                    process = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, text=True)
                self._scans[(name, with_baseline)] = (process, output)

    def report(self, name: str, *, baseline: bool) -> dict[str, Any]:
        """The JSON report of `name`'s scan (waiting for it to finish)."""
        process, output = self._scans[(name, baseline)]
        process.wait(timeout=SCAN_TIMEOUT_SECONDS)
        report = json.loads(output.read_text())
        return report[0] if isinstance(report, list) else report  # type: ignore[no-any-return]

    def stop(self) -> None:
        for process, _output in self._scans.values():
            if process.poll() is None:
                process.kill()
                process.wait()
