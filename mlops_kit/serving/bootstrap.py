"""The bootstrap model: what an endpoint serves before the first promotion.

Terraform creates each endpoint with this model so that the endpoint, its autoscaling and alarms
exist from the first deploy; `kit promote` then replaces it. It answers health checks and refuses
every prediction with a message saying no version has been promoted yet.
"""

from __future__ import annotations

import io
import tarfile

BOOTSTRAP_SCRIPT = '''\
"""mlops-kit bootstrap model: healthy, but refuses predictions until a version is promoted."""


def model_fn(model_dir):
    return None


def input_fn(body, content_type):
    return body


def predict_fn(data, model):
    raise ValueError("no model version has been promoted to this endpoint yet: run kit promote")
'''


def bootstrap_model_archive() -> bytes:
    """`model.tar.gz` holding `code/inference.py`, byte-identical on every call."""
    buffer = io.BytesIO()
    # mtime=0 in both the gzip header and the tar entries keeps the archive deterministic, so a
    # repeated synth never shows a diff.
    import gzip

    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        data = BOOTSTRAP_SCRIPT.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(data)
        info.mtime = 0
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
