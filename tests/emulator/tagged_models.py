"""Model archives whose answer names the model (`{"model": "<tag>"}`), so a test sees which fleet
served a request; the tag `broken` makes a model that loads and answers /ping but fails every
prediction with a 500, like a bad release."""

from __future__ import annotations

import io
import tarfile

INFERENCE_SCRIPT = """\
import json
import os


def model_fn(model_dir):
    with open(os.path.join(model_dir, "tag.txt")) as tag:
        return tag.read().strip()


def input_fn(body, content_type):
    return body


def predict_fn(data, model):
    if model == "broken":
        raise RuntimeError("this release fails every prediction")
    return model


def output_fn(prediction, accept):
    return json.dumps({"model": prediction}), "application/json"
"""


def tagged_model_archive(tag: str) -> bytes:
    """`model.tar.gz` with `code/inference.py` and `tag.txt`."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("code/inference.py", INFERENCE_SCRIPT.encode()), ("tag.txt", tag.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive.getvalue()
