"""Benchmark of the training pipeline: the local run per step, and the definition build.

    python benchmarks/pipeline.py              # one local run on the bundled data, builds x3
    python benchmarks/pipeline.py --builds 5

Measured:
  import floor   a fresh interpreter importing the SDK's workflow modules the builder needs
                 (sagemaker.mlops.workflow, core workflow, train, serve), nothing else
  build          a fresh interpreter importing the same modules and building the dev definition
                 (goal: <= 1.5x the import floor); best of --builds
  local run      a fresh emulator on a free port with the dev pipeline's platform (bucket, roles,
                 subnets, group), `start_training_run` (validate, upload, upsert, start), then the
                 execution as ListPipelineExecutionSteps reports it, per step and in total
                 (goal: <= 30 s on a 2-core machine)
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

IMPORTS = (
    "import os; os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1'); "
    "os.environ['SAGEMAKER_VALIDATE_ROLE'] = 'false'; "
    "import sagemaker.mlops.workflow, sagemaker.core.workflow.functions, sagemaker.core.processing, "
    "sagemaker.train.model_trainer, sagemaker.serve.model_builder"
)
BUILD = (
    "from mlops_kit.config import load_environment; "
    "from mlops_kit.pipeline.platform import derived_facts; "
    "from pipelines.training import build_training_pipeline; "
    "env = load_environment('dev'); "
    "build_training_pipeline(env, derived_facts(env, ('subnet-1', 'subnet-2'), ('sg-1',)))"
)


def timed_interpreter(code: str) -> float:
    script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_run() -> None:
    from local_aws.server import local_aws_environment, start_emulator, stop_emulator
    from mlops_kit.config import load_environment

    os.environ["KIT_STATE_DIR"] = tempfile.mkdtemp(prefix="kit-bench-")
    port = free_port()
    start_emulator(port)
    os.environ.update(local_aws_environment(port))
    try:
        from mlops_kit.pipeline.service import start_training_run, wait_for_execution
        from pipelines.training import build_training_pipeline
        from tests.pipeline.minimal_platform import create_minimal_platform

        env = load_environment("dev")
        create_minimal_platform(env)
        build_training_pipeline(
            env, __import__("mlops_kit.pipeline.platform", fromlist=["x"]).derived_facts(env, ("s",), ("g",))
        )  # import the SDK outside the timed part (measured above)
        began = time.perf_counter()
        run = start_training_run(env, build_training_pipeline, {})
        started = time.perf_counter()
        final = wait_for_execution(env, run.execution_arn, poll_seconds=0.2)
        ended = time.perf_counter()
        print(f"\nlocal run ({final.status}) {final.execution_id}")
        print(f"  {'start (build, validate, upload, upsert, start)':<48} {started - began:6.2f} s")
        for step in final.steps:
            print(f"  step {step.name:<43} {step.seconds or 0:6.2f} s")
        print(f"  {'execution (start -> Succeeded, polled)':<48} {ended - started:6.2f} s")
        print(f"  {'total':<48} {ended - began:6.2f} s   (goal <= 30 s)")
    finally:
        stop_emulator(port)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--skip-run", action="store_true")
    args = parser.parse_args()
    # As `kit` does (cli/main.py): warnings and errors only.
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)  # the SDK sets some loggers to INFO/DEBUG themselves
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    warnings.filterwarnings("ignore", message="Running within a PipelineSession", category=UserWarning)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    floor = min(timed_interpreter(IMPORTS) for _ in range(args.builds))
    build = min(timed_interpreter(f"{IMPORTS}; {BUILD}") for _ in range(args.builds))
    print(
        f"definition: import floor {floor:.2f} s, import + build {build:.2f} s "
        f"= {build / floor:.2f}x the floor (goal <= 1.5x), build alone {build - floor:.2f} s"
    )
    if not args.skip_run:
        local_run()


if __name__ == "__main__":
    main()
