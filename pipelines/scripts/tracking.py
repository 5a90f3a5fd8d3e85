"""MLflow tracking for the step scripts: every pipeline execution is one MLflow run.

Shipped beside the scripts (in `sourcedir.tar.gz` for training, in `lib/` for processing). The steps
call `record` at their end; it does nothing unless `MLFLOW_TRACKING_URI` is set (the pipeline's
`MlflowTrackingUri` parameter, passed to the jobs as that variable). The run of an execution is found
by its tag `kit.run_key` (the execution id), so each step adds to the same run. In AWS the URI is the
tracking server's ARN and needs the `sagemaker-mlflow` plugin in the image; locally it is the
`http://127.0.0.1:...` of `kit local up`'s server. A tracking failure warns and never fails the step.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_KEY_TAG = "kit.run_key"
UNTRACKED = "untracked"


@dataclass(frozen=True)
class RunLink:
    run_id: str
    url: str


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", "").strip()


def run_url(uri: str, experiment_id: str, run_id: str) -> str:
    """The run's page in the MLflow UI (the managed server's UI is reached through SageMaker Studio)."""
    if uri.startswith(("http://", "https://")):
        return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return ""


def _active_run(mlflow: Any, run_key: str, run_name: str, tags: Mapping[str, str] | None = None) -> Any:
    found = mlflow.search_runs(
        filter_string=f"tags.`{RUN_KEY_TAG}` = '{run_key}'", max_results=1, output_format="list"
    )
    if found:
        return mlflow.start_run(run_id=found[0].info.run_id)
    return mlflow.start_run(run_name=run_name, tags={RUN_KEY_TAG: run_key, **(tags or {})})


def record(
    step: str,
    *,
    params: Mapping[str, object] | None = None,
    metrics: Mapping[str, float] | None = None,
    series: Mapping[str, Sequence[float]] | None = None,
    tags: Mapping[str, str] | None = None,
    artifacts: Sequence[Path] = (),
    trial: str = "",
) -> RunLink | None:
    """Add one step's facts to the execution's run (to a child run named `trial` for a tuning trial);
    its id and UI link, or None when untracked."""
    uri = tracking_uri()
    if not uri:
        return None
    # Fail fast when the server is away: a step must not wait minutes on retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    try:
        import mlflow
        from mlflow.entities import Metric

        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or "mlops-kit")
        run_key = os.environ.get("KIT_RUN_KEY") or os.environ.get("SM_TRAINING_JOB_NAME") or step
        if trial:
            with _active_run(mlflow, run_key, run_name=run_key) as parent:
                parent_id = parent.info.run_id
            context = _active_run(
                mlflow, f"{run_key}/{trial}", run_name=trial, tags={"mlflow.parentRunId": parent_id}
            )
        else:
            context = _active_run(mlflow, run_key, run_name=run_key)
        with context as run:
            if params:
                mlflow.log_params({f"{k}": str(v) for k, v in params.items()})
            if metrics:
                mlflow.log_metrics({f"{step}.{k}": float(v) for k, v in metrics.items()})
            if series:
                client = mlflow.MlflowClient()
                stamp = int(run.info.start_time or 0)
                batch = [
                    Metric(f"{step}.{name}", float(value), stamp, index)
                    for name, values in series.items()
                    for index, value in enumerate(values)
                ]
                for start in range(0, len(batch), 1000):
                    client.log_batch(run.info.run_id, metrics=batch[start : start + 1000])
            if tags:
                mlflow.set_tags(dict(tags))
            for path in artifacts:
                mlflow.log_artifact(str(path), artifact_path=step)
            return RunLink(run.info.run_id, run_url(uri, run.info.experiment_id, run.info.run_id))
    except Exception as exc:
        print(f"warning: MLflow tracking at {uri} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
