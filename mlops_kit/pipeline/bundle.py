"""What a pipeline run uploads before it starts: the step code (under a content-hash prefix) and the
bundled data set. Both are byte-identical for identical inputs, so the definition that references
them is too."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlops_kit.archive_extraction
import mlops_kit.drift.baseline
import mlops_kit.drift.baseline_document
import mlops_kit.model_evaluation.fairness
import mlops_kit.model_evaluation.feature_importance
import mlops_kit.registry.lineage
from mlops_kit.model_contract.loading import ModelContract
from mlops_kit.pipeline.code_objects import code_content_type


@dataclass(frozen=True)
class Upload:
    """One object to put in S3 before the run."""

    key: str
    body: bytes
    # As the stacks declare the drift job's code objects (stacks/monitoring.py), so a run's upload
    # and `terraform plan` agree on every attribute.
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class CodeBundle:
    """Step code addressed by its content: `prefix` changes exactly when a file does."""

    bucket: str
    prefix: str
    uploads: tuple[Upload, ...] = field(default=())

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}/{name}"


def deterministic_tar_gz(files: dict[str, bytes]) -> bytes:
    """A tar.gz of `files` (archive name -> content) with fixed times, owners and order."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()


def code_bundle(bucket: str, scripts_dir: Path, *, pipeline: str, contract: ModelContract) -> CodeBundle:
    """The kit's step scripts of `scripts_dir` with the model's code and schema (its contract):
    the processing scripts as single files; the model's Python files with the schema and the
    kit's tracking module as `sourcedir.tar.gz` (script mode); and `lib/` for the processing
    steps (drift baseline builder, lineage contract, feature importance and fairness, schema, and
    the model's files under `model/`)."""
    read = {p.name: p.read_bytes() for p in sorted(scripts_dir.glob("*.py")) if p.name != "__init__.py"}
    model_files = contract.python_files()
    schema = json.dumps(contract.schema_document(), indent=1, sort_keys=True).encode()
    lib = {
        "archive_extraction.py": Path(mlops_kit.archive_extraction.__file__).read_bytes(),
        "baseline.py": Path(mlops_kit.drift.baseline.__file__).read_bytes(),
        "baseline_document.py": Path(mlops_kit.drift.baseline_document.__file__).read_bytes(),
        "lineage.py": Path(mlops_kit.registry.lineage.__file__).read_bytes(),
        "fairness.py": Path(mlops_kit.model_evaluation.fairness.__file__).read_bytes(),
        "feature_importance.py": Path(mlops_kit.model_evaluation.feature_importance.__file__).read_bytes(),
        "schema.json": schema,
        "tracking.py": read["tracking.py"],
        **{f"model/{name}": body for name, body in model_files.items()},
    }
    objects = {
        "preprocess.py": read["preprocess.py"],
        "evaluate.py": read["evaluate.py"],
        "sourcedir.tar.gz": deterministic_tar_gz(
            {"tracking.py": read["tracking.py"], "schema.json": schema, **model_files}
        ),
        **{f"lib/{name}": body for name, body in lib.items()},
    }
    digest = hashlib.sha256()
    for name in sorted(objects):
        digest.update(name.encode() + b"\0" + hashlib.sha256(objects[name]).digest())
    prefix = f"code/{pipeline}/{digest.hexdigest()[:16]}"
    return CodeBundle(
        bucket=bucket,
        prefix=prefix,
        uploads=tuple(
            Upload(f"{prefix}/{name}", body, code_content_type(name))
            for name, body in sorted(objects.items())
        ),
    )


@dataclass(frozen=True)
class BuiltPipeline:
    """A built pipeline definition and the code it needs in S3 before it runs."""

    name: str
    model: str
    definition: str
    role_arn: str
    code: CodeBundle
    # The model's bundled data set: where the kit uploads it (the DataUri default) and how to make it.
    dataset_key: str = ""
    dataset: Callable[[], bytes] | None = None

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.definition))

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """Parameter name -> its declaration (`Type`, `DefaultValue`)."""
        return {p["Name"]: {k: v for k, v in p.items() if k != "Name"} for p in self.document["Parameters"]}
