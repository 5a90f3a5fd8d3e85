"""What a pipeline run uploads before it starts: the step code (under a content-hash prefix) and the
bundled data set. Both are byte-identical for identical inputs, so the definition that references
them is too."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlops_kit.archive_extraction
import mlops_kit.drift.baseline
import mlops_kit.drift.baseline_document
import mlops_kit.registry.lineage
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


def code_bundle(bucket: str, scripts_dir: Path, *, pipeline: str) -> CodeBundle:
    """The scripts of `scripts_dir` plus the modules the scripts import from the kit:
    processing scripts as single files, training code as `sourcedir.tar.gz` (script mode), and
    `lib/` (drift baseline builder, lineage contract, schema) for the processing steps."""
    read = {p.name: p.read_bytes() for p in sorted(scripts_dir.glob("*.py")) if p.name != "__init__.py"}
    lib = {
        "archive_extraction.py": Path(mlops_kit.archive_extraction.__file__).read_bytes(),
        "baseline.py": Path(mlops_kit.drift.baseline.__file__).read_bytes(),
        "baseline_document.py": Path(mlops_kit.drift.baseline_document.__file__).read_bytes(),
        "lineage.py": Path(mlops_kit.registry.lineage.__file__).read_bytes(),
        "schema.json": (scripts_dir / "schema.json").read_bytes(),
        "tracking.py": read["tracking.py"],
    }
    objects = {
        "preprocess.py": read["preprocess.py"],
        "evaluate.py": read["evaluate.py"],
        "sourcedir.tar.gz": deterministic_tar_gz(
            {
                "train.py": read["train.py"],
                "inference.py": read["inference.py"],
                "tracking.py": read["tracking.py"],
            }
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

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.definition))

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """Parameter name -> its declaration (`Type`, `DefaultValue`)."""
        return {p["Name"]: {k: v for k, v in p.items() if k != "Name"} for p in self.document["Parameters"]}
