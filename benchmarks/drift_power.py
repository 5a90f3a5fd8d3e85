"""How often the drift verdicts alarm without drift, and how often they find drift that is there.

    python benchmarks/drift_power.py --evidently-python .tools/evidently-venv/bin/python
    python benchmarks/drift_power.py --sizes 10000 100000 --trials 100 --evidently-trials 20

Each trial draws a reference and a current frame of the same length from known distributions.
Null columns (no drift: normal, log-normal, Poisson counts, uniform, normal with 5% missing, and
categoricals of 3 and 20 categories, one with 5% missing) give the false-alarm rate: the share of
those features flagged over all trials. Drifted columns give the detection rate per kind and size:

  mean shift       normal, current mean moved by 0.1, 0.2, 0.3, 0.5 standard deviations
  spread           normal, current standard deviation x1.1, x1.25, x1.5, x2
  category share   5 categories, one category's share up by 3, 5 or 10 points
  new category     a category absent from the reference holds 1%, 2% or 5% of the current rows
  missing (num)    numeric, missing share from 0 to 1%, 2%, 10%
  missing (cat)    categorical, missing share from 0 to 1%, 2%, 10%

Both sides judge the same frames: the kit with its default DriftThresholds (`kit`), the kit's old
rule (PSI >= 0.2 and KS p < 0.001 / JS >= 0.1 and chi-square p < 0.001, `kit-old`), and
Evidently's Report([DataDriftPreset()]) with its defaults (`evidently`; it runs in its own
interpreter, --evidently-python, because Evidently 0.7 does not import with pandas 3: make one
with `python3.11 -m venv .tools/evidently-venv && .tools/evidently-venv/bin/pip install
evidently==0.7.23 'pandas<3'`). The frames go to Evidently as Parquet files in a temporary folder.

Trials: the kit judges --trials per size (default 100; --trials-1m, 30, at 1M rows and more), and
Evidently the first --evidently-trials of them (default 20; 5 at 1M rows): it takes some seconds
per trial at 10k rows and minutes at 1M on 2 cores, the kit well under a second. The table gives
each row's trial count.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent

# Null columns: (name, kind) -- drawn the same way on both sides.
NULL_NUMERIC = ("null_normal", "null_lognormal", "null_poisson", "null_uniform", "null_normal_missing")
NULL_CATEGORICAL = ("null_cat3", "null_cat20", "null_cat_missing")
# Drifted columns: name -> (kind of drift, magnitude shown in the table).
DRIFTED: dict[str, tuple[str, str]] = {
    **{f"mean_{m}": ("mean shift", f"{m} sd") for m in ("0.1", "0.2", "0.3", "0.5")},
    **{f"spread_{m}": ("spread", f"x{m}") for m in ("1.1", "1.25", "1.5", "2")},
    **{f"share_{m}": ("category share", f"+{m} points") for m in ("3", "5", "10")},
    **{f"new_{m}": ("new category", f"{m}%") for m in ("1", "2", "5")},
    **{f"missing_num_{m}": ("missing (num)", f"0 -> {m}%") for m in ("1", "2", "10")},
    **{f"missing_cat_{m}": ("missing (cat)", f"0 -> {m}%") for m in ("1", "2", "10")},
}
KINDS = ("mean shift", "spread", "category share", "new category", "missing (num)", "missing (cat)")
FIVE = np.array(["a", "b", "c", "d", "e"])


def categorical_columns() -> list[str]:
    """Columns judged as categories (by the kit and by Evidently)."""
    drifted = [name for name in DRIFTED if name.startswith(("share_", "new_", "missing_cat_"))]
    return [*NULL_CATEGORICAL, *drifted]


def numeric_columns() -> list[str]:
    """Columns judged as numbers."""
    drifted = [name for name in DRIFTED if name.startswith(("mean_", "spread_", "missing_num_"))]
    return [*NULL_NUMERIC, *drifted]


def _with_missing(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    values = values.astype(object) if values.dtype.kind in "OU" else values.astype(np.float64)
    values[rng.random(len(values)) < share] = None if values.dtype == object else np.nan
    return values


def draw_frame(rows: int, rng: np.random.Generator, *, current: bool) -> pd.DataFrame:
    """One side of a trial: the null columns alike on both sides, the drift only in `current`."""
    columns: dict[str, Any] = {
        "null_normal": rng.normal(10.0, 2.0, rows),
        "null_lognormal": rng.lognormal(0.0, 1.0, rows),
        "null_poisson": rng.poisson(3.0, rows).astype(np.float64),
        "null_uniform": rng.uniform(-1.0, 1.0, rows),
        "null_normal_missing": _with_missing(rng.normal(0.0, 1.0, rows), 0.05, rng),
        "null_cat3": rng.choice(np.array(["x", "y", "z"]), rows, p=[0.5, 0.3, 0.2]),
        "null_cat20": rng.choice(np.array([f"k{i}" for i in range(20)]), rows, p=_zipf(20)),
        "null_cat_missing": _with_missing(rng.choice(FIVE, rows), 0.05, rng),
    }
    for name in DRIFTED:
        magnitude = float(name.rsplit("_", 1)[1])
        if name.startswith("mean_"):
            columns[name] = rng.normal(magnitude if current else 0.0, 1.0, rows)
        elif name.startswith("spread_"):
            columns[name] = rng.normal(0.0, magnitude if current else 1.0, rows)
        elif name.startswith("share_"):
            shares = np.full(5, 0.2)
            if current:
                shares += np.array([magnitude, 0, 0, 0, 0]) / 100 - magnitude / 100 / 5
            columns[name] = rng.choice(FIVE, rows, p=shares / shares.sum())
        elif name.startswith("new_"):
            values = rng.choice(FIVE, rows).astype(object)
            if current:
                values[rng.random(rows) < magnitude / 100] = "new"
            columns[name] = values
        elif name.startswith("missing_num_"):
            values = rng.normal(0.0, 1.0, rows)
            columns[name] = _with_missing(values, magnitude / 100, rng) if current else values
        else:
            values = rng.choice(FIVE, rows)
            columns[name] = _with_missing(values, magnitude / 100, rng) if current else values.astype(object)
    return pd.DataFrame(columns)


def _zipf(count: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1)
    return weights / weights.sum()


def kit_flags(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, set[str]]:
    """Features flagged by the kit's default rule and by its old rule."""
    sys.path.insert(0, str(REPO_ROOT))
    from mlops_kit.drift import DriftThresholds, build_baseline, check_frame

    baseline = build_baseline(reference, categorical=categorical_columns())
    report = check_frame(baseline, current, DriftThresholds())
    old = set()
    for feature in report.features:
        s = feature.statistics
        if feature.kind == "numeric" and s["psi"] is not None:
            drifted = s["psi"] >= 0.2 and s["ks_pvalue"] < 0.001  # type: ignore[operator]
        else:
            drifted = s["js_distance"] is not None and s["js_distance"] >= 0.1 and s["chi2_pvalue"] < 0.001  # type: ignore[operator]
        if drifted:
            old.add(feature.name)
    return {"kit": set(report.drifted_features), "kit-old": old}


def evidently_worker() -> None:
    """Runs in Evidently's interpreter: a pair of Parquet paths per stdin line, drifted names out."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=numeric_columns(), categorical_columns=categorical_columns()
    )
    for line in sys.stdin:
        reference_path, current_path = json.loads(line)
        datasets = [
            Dataset.from_pandas(pd.read_parquet(path), data_definition=definition)
            for path in (reference_path, current_path)
        ]
        snapshot = Report([DataDriftPreset()]).run(reference_data=datasets[0], current_data=datasets[1])
        drifted = []
        for metric in snapshot.dict()["metrics"]:
            config = metric["config"]
            if not config["type"].endswith("ValueDrift"):
                continue
            value, threshold = float(metric["value"]), float(config["threshold"])
            # Evidently flags p-value tests below the threshold, distances at or above it.
            if (value < threshold) if "p_value" in config["method"] else (value >= threshold):
                drifted.append(config["column"])
        print(json.dumps(drifted), flush=True)


class Evidently:
    """A running Evidently worker in its own interpreter, or the reason there is none."""

    def __init__(self, python: str | None) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.note = "skipped (no --evidently-python)" if python is None else ""
        if python is not None:
            self.process = subprocess.Popen(
                [python, __file__, "--evidently-worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )

    def flags(self, folder: Path, reference: pd.DataFrame, current: pd.DataFrame) -> set[str] | None:
        if self.process is None or self.process.stdin is None or self.process.stdout is None:
            return None
        paths = [str(folder / "reference.parquet"), str(folder / "current.parquet")]
        reference.to_parquet(paths[0])
        current.to_parquet(paths[1])
        self.process.stdin.write(json.dumps(paths) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            self.note = f"the Evidently worker stopped (exit {self.process.wait()})"
            self.process = None
            return None
        return set(json.loads(answer))

    def close(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
            self.process.wait()


def run_size(
    rows: int, trials: int, evidently_trials: int, seed: int, evidently: Evidently
) -> dict[str, dict[str, int]]:
    """Flag counts per method and column over the trials at one size (Evidently judges the first
    `evidently_trials` of them: it takes far longer than the kit)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rng = np.random.default_rng([seed, rows])
    with tempfile.TemporaryDirectory(prefix="drift-power-") as folder:
        for trial in range(trials):
            reference = draw_frame(rows, rng, current=False)
            current = draw_frame(rows, rng, current=True)
            flags = kit_flags(reference, current)
            found = evidently.flags(Path(folder), reference, current) if trial < evidently_trials else None
            if found is not None:
                flags["evidently"] = found
            for method, names in flags.items():
                for name in names:
                    counts[method][name] += 1
                counts[method]["<trials>"] += 1
    return counts


def rates(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Per method: the false-alarm rate over null features, detection per kind and per column."""
    result: dict[str, dict[str, float]] = {}
    for method, flagged in counts.items():
        trials = flagged["<trials>"]
        nulls = [*NULL_NUMERIC, *NULL_CATEGORICAL]
        row = {"trials": trials, "false alarms": sum(flagged[name] for name in nulls) / (trials * len(nulls))}
        for kind in KINDS:
            names = [name for name, (k, _) in DRIFTED.items() if k == kind]
            row[kind] = sum(flagged[name] for name in names) / (trials * len(names))
        for name in DRIFTED:
            row[name] = flagged[name] / trials
        result[method] = row
    return result


def print_tables(results: dict[int, dict[str, dict[str, float]]]) -> None:
    methods = ("kit", "kit-old", "evidently")
    print("\nfalse alarms (share of null features flagged) and detection rate per kind")
    header = f"{'rows':>9} {'trials':>6} {'method':<10} {'false alarms':>12} " + " ".join(
        f"{kind:>14}" for kind in KINDS
    )
    print(header)
    for rows, table in results.items():
        for method in methods:
            if method in table:
                row = table[method]
                trials = int(row["trials"])
                cells = " ".join(f"{row[kind]:>14.0%}" for kind in KINDS)
                print(f"{rows:>9,} {trials:>6} {method:<10} {row['false alarms']:>12.2%} {cells}")
    print("\ndetection rate per magnitude")
    for rows, table in results.items():
        print(f"  {rows:,} rows: " + "  ".join(f"{m}" for m in methods if m in table))
        for name, (kind, magnitude) in DRIFTED.items():
            cells = "  ".join(f"{table[m][name]:>5.0%}" for m in methods if m in table)
            print(f"    {kind:<15} {magnitude:<12} {cells}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--trials", type=int, default=100, help="kit trials per size below 1M rows")
    parser.add_argument("--trials-1m", type=int, default=30, help="kit trials per size of 1M rows or more")
    parser.add_argument("--evidently-trials", type=int, default=20, help="Evidently trials per size below 1M")
    parser.add_argument(
        "--evidently-trials-1m", type=int, default=5, help="Evidently trials at 1M rows or more"
    )
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--evidently-python", default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the rates here")
    parser.add_argument("--evidently-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evidently_worker:
        evidently_worker()
        return 0
    evidently = Evidently(args.evidently_python)
    results: dict[int, dict[str, dict[str, float]]] = {}
    try:
        for rows in args.sizes:
            large = rows >= 1_000_000
            trials = args.trials_1m if large else args.trials
            evidently_trials = min(trials, args.evidently_trials_1m if large else args.evidently_trials)
            started = time.perf_counter()
            results[rows] = rates(run_size(rows, trials, evidently_trials, args.seed, evidently))
            print(f"{rows:,} rows: {trials} trials in {time.perf_counter() - started:.0f} s", flush=True)
            if args.json is not None:
                args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    finally:
        evidently.close()
    if evidently.note:
        print(f"evidently: {evidently.note}")
    print_tables(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
