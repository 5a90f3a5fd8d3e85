"""Run a hyperparameter tuning job locally: random search within its budget, one training job per trial.

Each trial is a training job of the tuning job's `TrainingJobDefinition` (run by `containers`), its
hyperparameters the static ones plus values drawn from the ranges, plus `_tuning_objective_metric` as
SageMaker adds it. The objective is read from the trial's log with the definition's metric regexes.
Trials run one after another whatever MaxParallelTrainingJobs says (the host has few cores); the
search is random for either strategy, seeded by the job name so a re-run draws the same trials.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path
from typing import Any

from local_aws.sagemaker.containers import JobFailed, S3Transfer, run_training_job


def draw(ranges: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """One trial's values for the tuning job's `ParameterRanges`."""
    values: dict[str, str] = {}
    for spec in ranges.get("ContinuousParameterRanges", []):
        low, high = float(spec["MinValue"]), float(spec["MaxValue"])
        if spec.get("ScalingType") in ("Logarithmic", "ReverseLogarithmic"):
            values[spec["Name"]] = repr(math.exp(rng.uniform(math.log(low), math.log(high))))
        else:
            values[spec["Name"]] = repr(rng.uniform(low, high))
    for spec in ranges.get("IntegerParameterRanges", []):
        values[spec["Name"]] = str(rng.randint(int(spec["MinValue"]), int(spec["MaxValue"])))
    for spec in ranges.get("CategoricalParameterRanges", []):
        values[spec["Name"]] = str(rng.choice(spec["Values"]))
    return values


def objective_value(log: Path, metric: str, definitions: list[dict[str, str]]) -> float | None:
    """The last value of `metric` in the trial's log, by its regex in `definitions`."""
    regex = next((d["Regex"] for d in definitions if d["Name"] == metric), None)
    if regex is None:
        raise JobFailed(f"ValidationException: no MetricDefinition for the objective metric {metric}")
    found = re.findall(regex, log.read_text(errors="replace"))
    return float(found[-1]) if found else None


def run_tuning_job(
    arguments: dict[str, Any], *, job_name: str, job_arn: str, root: Path, log: Path, transfer: S3Transfer
) -> dict[str, Any]:
    """Execute a resolved CreateHyperParameterTuningJob request; its Describe/ListTrainingJobs record."""
    config = arguments["HyperParameterTuningJobConfig"]
    definition = arguments["TrainingJobDefinition"]
    objective = config["HyperParameterTuningJobObjective"]
    metric, maximize = objective["MetricName"], objective.get("Type", "Maximize") == "Maximize"
    budget = int(config["ResourceLimits"]["MaxNumberOfTrainingJobs"])
    definitions = definition.get("AlgorithmSpecification", {}).get("MetricDefinitions", [])
    rng = random.Random(job_name)
    arn_prefix = job_arn.split(":hyper-parameter-tuning-job/")[0]
    summaries: list[dict[str, Any]] = []
    failures: list[str] = []
    for index in range(budget):
        trial = f"{job_name[:58]}-{index + 1:03d}"
        tuned = draw(config.get("ParameterRanges", {}), rng)
        request = {
            **definition,
            "HyperParameters": {
                **(definition.get("StaticHyperParameters") or {}),
                **tuned,
                "_tuning_objective_metric": metric,
            },
        }
        trial_log = log.with_name(f"{log.stem}-{index + 1:03d}{log.suffix}")
        summary: dict[str, Any] = {
            "TrainingJobName": trial,
            "TrainingJobArn": f"{arn_prefix}:training-job/{trial.lower()}",
            "TunedHyperParameters": tuned,
        }
        try:
            run_training_job(request, job_name=trial, root=root / trial, log=trial_log, transfer=transfer)
        except JobFailed as exc:
            failures.append(f"{trial}: {exc.reason}")
            summaries.append({**summary, "TrainingJobStatus": "Failed", "FailureReason": exc.reason})
            continue
        value = objective_value(trial_log, metric, definitions)
        if value is None:
            failures.append(f"{trial}: the log reports no {metric}")
            summaries.append({**summary, "TrainingJobStatus": "Failed", "FailureReason": f"no {metric}"})
            continue
        summaries.append(
            {
                **summary,
                "TrainingJobStatus": "Completed",
                "ObjectiveStatus": "Succeeded",
                "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": metric, "Value": value},
            }
        )
    completed = [s for s in summaries if s["TrainingJobStatus"] == "Completed"]
    if not completed:
        raise JobFailed(f"all {budget} training jobs failed: {'; '.join(failures)[:900]}")
    # Best first, as SageMaker lists them by the objective (what TrainingJobSummaries[0] refers to).
    completed.sort(key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], reverse=maximize)
    failed = [s for s in summaries if s["TrainingJobStatus"] != "Completed"]
    return {
        **arguments,
        "HyperParameterTuningJobName": job_name,
        "HyperParameterTuningJobArn": job_arn,
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": completed[0],
        "TrainingJobSummaries": completed + failed,
        "TrainingJobStatusCounters": {"Completed": len(completed), "NonRetryableError": len(failed)},
    }
