"""Benchmark of the drift engine against Evidently's data drift preset and a one-pass floor.

    python benchmarks/drift.py                      # 1,000,000 reference and current rows
    python benchmarks/drift.py --rows 10000000      # engine and floor at 10M (Evidently: see below)
    python benchmarks/drift.py --evidently-python /path/to/venv/bin/python
    python benchmarks/drift.py --wide [--rows N --columns M] [--keep]   # see drift_wide.py

Both frames have 20 numeric and 5 categorical (pandas category dtype) columns; the current frame
has drift injected in 5 of them. The kit's methods run in one subprocess, Evidently in another
(possibly another interpreter); each generates the same frames from the same seed. The kit's
methods are timed round-robin, so load from other processes on a shared machine hits them alike.
Memory: the kernel's resident-set high-water mark is reset once the frames exist and read after a
method ran (freed heap pages are returned first), and tracemalloc's peak over one more run counts
every numpy and Python allocation the method makes.

Measured, side by side:
  floor          one numpy sum over every column of the current frame (each value read once)
  floor-both     the same over the reference and the current frame
  engine-check   the drift job's work: histogram of the current frame against a prebuilt
                 baseline, then the statistics and verdicts
  engine-full    building the baseline from the reference frame as well, then the check
                 (what Evidently does on every run)
  engine-check-1t  the same on one thread (the floor uses one)
  engine-check-numpy  engine-check with the numpy bin counter, as where the compiled one
                 (mlops_kit/drift/_bin_counts.c) is not built, e.g. in the drift job's image
  evidently      Report([DataDriftPreset()]) on the same frames (evidently 0.7.x)

Evidently 0.7 does not import with pandas 3, so it needs its own interpreter (--evidently-python),
e.g. one made with `python3.11 -m venv /tmp/evidently-venv && /tmp/evidently-venv/bin/pip install
evidently==0.7.23 'pandas<3'`; if it cannot run, the benchmark says so and reports the rest. Above
1,000,000 rows Evidently runs on --evidently-rows rows (default 1,000,000), and the table says so.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
NUMERIC_COLUMNS = [f"num_{index:02d}" for index in range(20)]
CATEGORICAL_COLUMNS = [f"cat_{index}" for index in range(5)]
DRIFTED_COLUMNS = ["num_00", "num_05", "num_10", "cat_1", "cat_3"]
WORKER_GROUPS = ("kit", "evidently")


def make_frames(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current frames; the current one drifts in DRIFTED_COLUMNS only."""
    return _frame(rows, seed, drifted=False), _frame(rows, seed + 1, drifted=True)


def _frame(rows: int, seed: int, *, drifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for index, name in enumerate(NUMERIC_COLUMNS):
        family = index % 5
        if family == 0:
            values = rng.normal(10.0 * index, 1.0 + index, rows)
        elif family == 1:
            values = rng.lognormal(1.0, 0.5, rows)
        elif family == 2:
            values = rng.exponential(2.0, rows)
        elif family == 3:
            values = rng.uniform(-5.0, 5.0, rows)
        else:
            values = rng.poisson(20.0, rows).astype(np.float64)
        columns[name] = values
    categories = [list("abcd"), list("pqrstu"), [f"c{i}" for i in range(12)], list("xyz"), list("mn")]
    for name, labels in zip(CATEGORICAL_COLUMNS, categories, strict=True):
        shares = np.arange(len(labels), 0, -1, dtype=np.float64)
        codes = rng.choice(len(labels), size=rows, p=shares / shares.sum()).astype(np.int8)
        columns[name] = pd.Categorical.from_codes(codes, categories=pd.Index(labels))
    if drifted:
        columns["num_00"] = columns["num_00"] + 0.75  # mean shift of 0.75 standard deviations
        columns["num_05"] = columns["num_05"] * 1.5  # every value grows by half (mean 50 -> 75)
        num_10 = columns["num_10"]  # spread doubles around the same mean
        columns["num_10"] = num_10.mean() + 2.0 * (num_10 - num_10.mean())
        reversed_shares = np.arange(1, 7, dtype=np.float64)  # category mix reversed
        columns["cat_1"] = pd.Categorical.from_codes(
            rng.choice(6, size=rows, p=reversed_shares / reversed_shares.sum()).astype(np.int8),
            categories=pd.Index(list("pqrstu")),
        )
        new_value = rng.random(rows) < 0.25  # a quarter of requests bring a category never seen
        cat_3 = np.asarray(columns["cat_3"]).astype(object)
        cat_3[new_value] = "new"
        columns["cat_3"] = pd.Categorical(cat_3, categories=["x", "y", "z", "new"])
    return pd.DataFrame(columns)


def frame_bytes(*frames: pd.DataFrame) -> int:
    """Bytes of the frames' values (pandas' deep memory usage, index excluded)."""
    return int(sum(frame.memory_usage(deep=True, index=False).sum() for frame in frames))


# ---- workers: each runs in its own process and prints one JSON line ----------------------------


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(match.group(1)) if match else -1


def _return_free_memory() -> None:
    """Give freed heap pages back to the kernel, so resident memory is what is alive."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM, the resident-set high-water mark
        return True
    except OSError:
        return False


def _floor(*frames: pd.DataFrame) -> float:
    total = 0.0
    for frame in frames:
        for name in frame.columns:
            column = frame[name]
            values = column.cat.codes.to_numpy() if name in CATEGORICAL_COLUMNS else column.to_numpy()
            total += float(values.sum())
    return total


def _engine(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    full: bool,
    threads: int | None = None,
    numpy_counter: bool = False,
) -> Callable[[], Any]:
    sys.path.insert(0, str(REPO_ROOT))
    import mlops_kit.drift.baseline as baseline_module
    from mlops_kit.drift import build_baseline, check_frame

    prebuilt = build_baseline(reference)
    compiled = baseline_module._compiled_count_bins

    def run() -> list[str]:
        if numpy_counter:
            baseline_module._compiled_count_bins = None
        try:
            baseline = build_baseline(reference, threads=threads) if full else prebuilt
            return check_frame(baseline, current, threads=threads).drifted_features
        finally:
            baseline_module._compiled_count_bins = compiled

    return run


def _bin_counter() -> str:
    sys.path.insert(0, str(REPO_ROOT))
    import mlops_kit.drift.baseline as baseline_module

    if baseline_module._compiled_count_bins is None:
        return "numpy (the compiled counter is not built: pip install -e . with a C compiler)"
    return "compiled (mlops_kit/drift/_bin_counts.c)"


def _evidently(reference: pd.DataFrame, current: pd.DataFrame) -> Callable[[], Any]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=NUMERIC_COLUMNS, categorical_columns=CATEGORICAL_COLUMNS)

    def run() -> list[str]:
        snapshot = Report([DataDriftPreset()]).run(
            reference_data=Dataset.from_pandas(reference, data_definition=definition),
            current_data=Dataset.from_pandas(current, data_definition=definition),
        )
        drifted = []
        for metric in snapshot.dict()["metrics"]:
            config = metric["config"]
            if not config["type"].endswith("ValueDrift"):
                continue
            value, threshold = float(metric["value"]), float(config["threshold"])
            # Evidently flags p-value tests below the threshold, distances at or above it.
            is_drift = value < threshold if "p_value" in config["method"] else value >= threshold
            if is_drift:
                drifted.append(config["column"])
        return drifted

    return run


def run_worker(group: str, rows: int, seed: int, repeats: int) -> list[dict[str, Any]]:
    """Generate the frames once, then time each method of the group and measure its memory.

    The kit's methods are timed round-robin, one run of each per round, so that a change of load
    on a shared machine falls on all of them alike and their ratios stay fair; each then runs once
    more for its resident-set peak and once under tracemalloc. Evidently's peak is taken over its
    timed runs, which are too slow to repeat.
    """
    reference, current = make_frames(rows, seed)
    if group == "evidently":
        methods = {"evidently": _evidently(reference, current)}
    else:
        methods = {
            "floor": lambda: _floor(current),
            "floor-both": lambda: _floor(reference, current),
            "engine-check": _engine(reference, current, full=False),
            "engine-check-1t": _engine(reference, current, full=False, threads=1),
            "engine-check-numpy": _engine(reference, current, full=False, numpy_counter=True),
            "engine-full": _engine(reference, current, full=True),
        }
    seconds: dict[str, list[float]] = {name: [] for name in methods}
    found: dict[str, Any] = {}
    rss_before = _settle()
    for _ in range(repeats):
        for name, method in methods.items():
            started = time.perf_counter()
            found[name] = method()
            seconds[name].append(time.perf_counter() - started)
    timed_peak = _rss_kib("VmHWM") * 1024
    results = []
    for name, method in methods.items():
        memory: dict[str, int | None]
        if group == "evidently":
            memory = {"rss_before_bytes": rss_before, "peak_rss_bytes": timed_peak, "traced_peak_bytes": None}
        else:
            memory = dict(_memory_of(method))
        results.append(
            {
                "worker": name,
                "rows": rows,
                "seconds": seconds[name],
                "median_seconds": statistics.median(seconds[name]),
                "data_bytes": frame_bytes(reference, current),
                "found": sorted(found[name]) if isinstance(found[name], list) else None,
                "bin_counter": _bin_counter() if group == "kit" else None,
                # Linux reports ru_maxrss in KiB; it spans the whole process, frame generation too.
                "process_max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                **memory,
            }
        )
    return results


def _settle() -> int:
    """Collect garbage, return freed pages and reset the resident-set peak; the resident bytes."""
    gc.collect()
    _return_free_memory()
    if not _reset_peak_rss():
        raise SystemExit("cannot reset the resident-set peak (/proc/self/clear_refs)")
    return _rss_kib("VmRSS") * 1024


def _memory_of(method: Callable[[], Any]) -> dict[str, int]:
    """Resident-set growth over one run, and the tracemalloc peak of another."""
    rss_before = _settle()
    method()
    peak = _rss_kib("VmHWM") * 1024
    # tracemalloc sees every numpy and Python allocation, whatever memory was free before.
    tracemalloc.start()
    method()
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"rss_before_bytes": rss_before, "peak_rss_bytes": peak, "traced_peak_bytes": traced_peak}


# ---- the driver -----------------------------------------------------------------------------------


def _spawn(python: str, group: str, rows: int, seed: int, repeats: int) -> dict[str, dict[str, Any]]:
    command = [python, str(Path(__file__).resolve()), "--worker", group, "--rows", str(rows)]
    command += ["--seed", str(seed), "--repeats", str(repeats)]
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    if completed.returncode != 0:
        tail = (completed.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {group: {"worker": group, "error": f"exit {completed.returncode}: {tail}"}}
    return {result["worker"]: result for result in json.loads(completed.stdout.strip().splitlines()[-1])}


def _evidently_version(python: str) -> tuple[str | None, str | None]:
    """Evidently's version in that interpreter, or why it cannot be used there."""
    probe = "import evidently; from evidently.presets import DataDriftPreset; print(evidently.__version__)"
    completed = subprocess.run([python, "-c", probe], capture_output=True, text=True)
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or ["(no output)"]
        return None, f"evidently cannot be imported by {python}: {lines[-1]}"
    return completed.stdout.strip(), None


def _mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


def main() -> None:
    if "--wide" in sys.argv[1:]:
        # Wide data at bounded memory: its own benchmark, beside this file.
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import drift_wide

        sys.exit(drift_wide.main(sys.argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="runs per method (median reported)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--evidently-python", default=sys.executable)
    parser.add_argument("--evidently-rows", type=int, default=None, help="default: min(rows, 1M)")
    parser.add_argument("--evidently-repeats", type=int, default=1)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--worker", choices=WORKER_GROUPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.rows, args.seed, args.repeats)))
        return

    results = _spawn(sys.executable, "kit", args.rows, args.seed, args.repeats)
    evidently_rows = args.evidently_rows or min(args.rows, 1_000_000)
    evidently_note = "skipped (--skip-evidently)" if args.skip_evidently else None
    if evidently_note is None:
        version, evidently_note = _evidently_version(args.evidently_python)
        print(f"evidently {version} in {args.evidently_python}" if version else "", end="")
    if evidently_note is None:
        print(f", on {evidently_rows:,} rows")
        results |= _spawn(
            args.evidently_python, "evidently", evidently_rows, args.seed, args.evidently_repeats
        )
        evidently_note = results["evidently"].get("error")
    _print_table(args.rows, evidently_rows, results, evidently_note)


def _print_table(
    rows: int, evidently_rows: int, results: dict[str, dict[str, Any]], evidently_note: str | None
) -> None:
    data_bytes = results.get("engine-full", {}).get("data_bytes", 0)
    print(
        f"rows per frame: {rows:,}; 20 numeric + 5 categorical columns; drift injected in "
        f"{', '.join(DRIFTED_COLUMNS)}; {os.cpu_count()} CPUs"
    )
    print(f"data size (reference + current): {_mib(data_bytes)}")
    counter = results.get("engine-check", {}).get("bin_counter")
    if counter:
        print(f"engine's bin counter: {counter}")
    print(
        f"{'method':<19}{'rows':>11}{'median s':>10}{'best s':>9}{'runs':>5}{'allocated':>11}"
        f"{'RSS growth':>12}{'RSS peak':>11}  found exactly the 5 drifted columns"
    )
    for name, result in results.items():
        if "error" in result:
            print(f"{name:<19} failed: {result['error']}")
            continue
        growth = result["peak_rss_bytes"] - result["rss_before_bytes"]
        traced = result.get("traced_peak_bytes")
        found = result["found"]
        verdict = "n/a" if found is None else ("yes" if found == sorted(DRIFTED_COLUMNS) else f"no: {found}")
        print(
            f"{name:<19}{result['rows']:>11,}{result['median_seconds']:>10.3f}{min(result['seconds']):>9.3f}"
            f"{len(result['seconds']):>5}{'-' if traced is None else _mib(traced):>11}"
            f"{_mib(growth):>12}{_mib(result['peak_rss_bytes']):>11}  {verdict}"
        )
    print("  allocated: tracemalloc peak over one run (every numpy and Python allocation)")
    print("  RSS growth: resident-set high-water mark over one run (Evidently: its timed run) above")
    print("  the resident size before it; RSS peak: the high-water mark itself, interpreter included")
    largest = max((result.get("process_max_rss_bytes", 0) for result in results.values()), default=0)
    print(f"  largest process, frame generation included: {_mib(largest)}")
    if evidently_note:
        print(f"evidently: NOT MEASURED: {evidently_note}")
    _print_ratios(rows, evidently_rows, results, data_bytes)


def _print_ratios(
    rows: int, evidently_rows: int, results: dict[str, dict[str, Any]], data_bytes: int
) -> None:
    def median(name: str) -> float | None:
        result = results.get(name, {})
        return None if "error" in result else result.get("median_seconds")

    check, single, full = median("engine-check"), median("engine-check-1t"), median("engine-full")
    with_numpy = median("engine-check-numpy")
    floor, floor_both, evidently = median("floor"), median("floor-both"), median("evidently")
    print("ratios:")
    if check and floor:
        print(f"  engine-check / floor               {check / floor:8.1f}x   (goal <= 3x)")
    if single and floor:
        print(f"  engine-check-1t / floor            {single / floor:8.1f}x   (one thread, like the floor)")
    if with_numpy and floor:
        print(f"  engine-check-numpy / floor         {with_numpy / floor:8.1f}x   (numpy bin counter)")
    if full and floor_both:
        print(f"  engine-full / floor-both           {full / floor_both:8.1f}x")
    if evidently and full:
        scale = rows / evidently_rows
        label = "evidently / engine-full" + ("" if scale == 1 else " (per row)")
        print(f"  {label:<35}{evidently * scale / full:8.1f}x   (goal >= 20x)")
        if scale != 1:
            print(
                f"  (Evidently ran on {evidently_rows:,} rows, the engine on {rows:,}: the ratio "
                "compares time per row, assuming Evidently scales linearly)"
            )
    engine = results.get("engine-full", {})
    if "error" not in engine and data_bytes:
        traced = engine.get("traced_peak_bytes") or 0
        print(
            f"  (data + engine-full allocated) / data {(data_bytes + traced) / data_bytes:5.2f}x"
            "   (goal <= 2x)"
        )
        print(
            f"  engine-full RSS peak / data        {engine['peak_rss_bytes'] / data_bytes:8.2f}x"
            "   (interpreter and libraries included)"
        )


if __name__ == "__main__":
    main()
