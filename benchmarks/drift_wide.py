"""Drift on wide data at bounded memory (`python benchmarks/drift.py --wide [--rows N --columns M]`).

Generates a Parquet file of N rows x M float64 columns (default 1,000,000 x 1,000: about 8 GB of
values; written once under --folder, default .tools/drift-wide, and deleted at the end unless
--keep), builds a baseline from a sample of its row groups, then runs, each in its own process:

  floor     one pass over the file: every row group read once with pyarrow (the least any tool
            reading the file must do); run before and after the drift check, the faster counts
  drift     `kit drift run --baseline baseline.json --current FILE --json`, the user's command

and prints, side by side, each one's wall time and peak resident set (the whole process's, from
the kernel: os.wait4's ru_maxrss), with the two ratios the issue sets: the drift check's peak RSS
against the data's size as float64, and its wall time against the floor's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ROW_GROUP_ROWS = 65_536
SAMPLE_ROWS = 100_000

_GENERATE = """
import sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

path, rows, columns, group = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
names = [f"x{i:04d}" for i in range(columns)]
schema = pa.schema([(name, pa.float64()) for name in names])
rng = np.random.default_rng(16)
scales = rng.uniform(0.5, 5.0, columns)
with pq.ParquetWriter(path, schema) as writer:
    for start in range(0, rows, group):
        length = min(group, rows - start)
        # The second half of the rows drifts in every tenth column (a mean shift of 0.3 sd).
        shift = 0.3 if start >= rows // 2 else 0.0
        arrays = []
        for index in range(columns):
            values = rng.standard_normal(length) * scales[index]
            if index % 10 == 0:
                values += shift * scales[index]
            arrays.append(pa.array(values))
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=group)
"""

_FLOOR = """
import sys
import pyarrow.parquet as pq

parquet = pq.ParquetFile(sys.argv[1])
for group in range(parquet.num_row_groups):
    table = parquet.read_row_group(group)
    del table
"""

_BASELINE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from mlops_kit.drift.parquet_streaming import baseline_of_parquet_sample

built = baseline_of_parquet_sample(Path(sys.argv[1]), sample_rows=int(sys.argv[4]))
Path(sys.argv[2]).write_text(built.to_json())
"""


def measured(command: list[str]) -> tuple[float, int]:
    """Run a command; its wall time in seconds and peak resident set in bytes (Linux: ru_maxrss
    is in KiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):  # 3: the drift check found drift, as it should here
        raise SystemExit(f"{' '.join(command[:3])} ... failed with exit code {code}")
    return elapsed, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wide", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=1_000)
    parser.add_argument("--folder", type=Path, default=REPO_ROOT / ".tools" / "drift-wide")
    parser.add_argument("--keep", action="store_true", help="keep the generated file for the next run")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    data = args.folder / f"wide-{args.rows}x{args.columns}.parquet"
    baseline = args.folder / f"baseline-{args.rows}x{args.columns}.json"
    python = sys.executable
    try:
        if not data.exists():
            partial = data.with_suffix(".partial")
            started = time.perf_counter()
            command = [python, "-c", _GENERATE, str(partial), str(args.rows), str(args.columns)]
            subprocess.run([*command, str(ROW_GROUP_ROWS)], check=True)
            partial.rename(data)
            print(f"generated {data} in {time.perf_counter() - started:.0f} s")
        baseline_time, baseline_rss = measured(
            [python, "-c", _BASELINE, str(data), str(baseline), str(REPO_ROOT), str(SAMPLE_ROWS)]
        )
        floor_first = measured([python, "-c", _FLOOR, str(data)])
        kit = [
            str(Path(python).parent / "kit"),
            "drift",
            "run",
            "--baseline",
            str(baseline),
            "--current",
            str(data),
        ]
        drift_time, drift_rss = measured([*kit, "--json"])
        floor_second = measured([python, "-c", _FLOOR, str(data)])
    finally:
        if not args.keep:
            data.unlink(missing_ok=True)
            baseline.unlink(missing_ok=True)
    floor_time, floor_rss = min(floor_first, floor_second)
    values = args.rows * args.columns * 8
    print(
        f"{args.rows:,} rows x {args.columns:,} float64 columns: {_gib(values)} of values; "
        f"row groups of {ROW_GROUP_ROWS:,} rows; {os.cpu_count()} CPUs"
    )
    print(f"{'step':<28} {'wall s':>8} {'peak RSS':>10}")
    print(f"{'baseline (sample of rows)':<28} {baseline_time:>8.1f} {_gib(baseline_rss):>10}")
    print(f"{'floor: one-pass read':<28} {floor_time:>8.1f} {_gib(floor_rss):>10}")
    print(f"{'(floor runs: first, second)':<28} {floor_first[0]:>8.1f} {floor_second[0]:>8.1f}")
    print(f"{'kit drift run':<28} {drift_time:>8.1f} {_gib(drift_rss):>10}")
    print(
        f"drift check: peak RSS {drift_rss / values:.3f} x the data size (goal <= 2 GiB: "
        f"{_gib(drift_rss)}); wall time {drift_time / floor_time:.2f} x the one-pass read (goal <= 3)"
    )
    return 0


def _gib(size: float) -> str:
    return f"{size / 2**30:.2f} GiB"


if __name__ == "__main__":
    sys.exit(main())
