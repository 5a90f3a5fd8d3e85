"""The SageMaker serving contract for a scikit-learn model, as a local process.

`python -m local_aws.sagemaker.model_server --model-dir DIR --port P` answers `GET /ping` and
`POST /invocations` on 127.0.0.1 the way SageMaker's scikit-learn container does: it imports the
model's own entry script (`SAGEMAKER_PROGRAM` in `SAGEMAKER_SUBMIT_DIRECTORY`, else
`code/inference.py`), loads the model with its `model_fn` and runs `input_fn` -> `predict_fn` ->
`output_fn` per request, with the sagemaker-inference defaults for the functions a script leaves out.
A failure in the script answers 500 with the error's message, as the container does.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

logger = logging.getLogger("mlops_kit.model_server")

CONTAINER_MODEL_DIR = "/opt/ml/model"
DEFAULT_PROGRAM = "inference.py"


def entry_script(model_dir: Path, environment: dict[str, str]) -> Path:
    """The script the container would run: `SAGEMAKER_PROGRAM` in the submit directory, where a
    submit directory under /opt/ml/model means the unpacked model.tar.gz."""
    program = environment.get("SAGEMAKER_PROGRAM") or DEFAULT_PROGRAM
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY") or f"{CONTAINER_MODEL_DIR}/code"
    if submit.startswith(CONTAINER_MODEL_DIR):
        folder = model_dir / submit[len(CONTAINER_MODEL_DIR) :].lstrip("/")
    else:
        # An S3 sourcedir.tar.gz is not fetched here; the archive's code/ folder is the fallback.
        folder = model_dir / "code"
    return folder / program


def _import_script(path: Path) -> ModuleType:
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _base_type(content_type: str) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def default_input_fn(body: bytes, content_type: str) -> Any:
    """sagemaker-inference's decoder: CSV or JSON (or .npy) into a numpy array."""
    import numpy as np

    kind = _base_type(content_type)
    if kind == "text/csv":
        return np.genfromtxt(io.StringIO(body.decode("utf-8")), delimiter=",", ndmin=2)
    if kind == "application/json":
        return np.array(json.loads(body.decode("utf-8")))
    if kind == "application/x-npy":
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise UnsupportedContentType(f"Content type {content_type} is not supported by this framework.")


def default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes | str, str]:
    """sagemaker-inference's encoder: JSON (default) or CSV."""
    import numpy as np

    kind = _base_type(accept)
    array = np.asarray(prediction)
    if kind in ("", "*/*", "application/json"):
        return json.dumps(array.tolist()), "application/json"
    if kind == "text/csv":
        buffer = io.StringIO()
        np.savetxt(buffer, array if array.ndim else array.reshape(1), delimiter=",", fmt="%s")
        return buffer.getvalue(), "text/csv"
    raise UnsupportedContentType(f"Accept type {accept} is not supported by this framework.")


def _missing_model_fn(model_dir: str) -> Any:
    raise NotImplementedError(
        "Please provide a model_fn implementation. See the SageMaker scikit-learn documentation."
    )


class UnsupportedContentType(ValueError):
    """The request's content type (or accept type) has no decoder (415 in the container)."""


@dataclass
class ServedModel:
    """The entry script's handlers and the model its model_fn loaded."""

    model: Any
    input_fn: Callable[..., Any]
    predict_fn: Callable[..., Any]
    output_fn: Callable[..., Any] | None

    @classmethod
    def load(cls, model_dir: Path, environment: dict[str, str]) -> ServedModel:
        script = entry_script(model_dir, environment)
        module = _import_script(script) if script.is_file() else None
        if module is None:
            raise FileNotFoundError(f"entry script {script} not found in the model archive")
        model_fn = getattr(module, "model_fn", _missing_model_fn)
        return cls(
            model=model_fn(str(model_dir)),
            input_fn=getattr(module, "input_fn", default_input_fn),
            predict_fn=getattr(module, "predict_fn", default_predict_fn),
            output_fn=getattr(module, "output_fn", None),
        )

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        data = self.input_fn(body, content_type)
        prediction = self.predict_fn(data, self.model)
        if self.output_fn is None:
            payload, response_type = default_output_fn(prediction, accept)
        else:
            payload = self.output_fn(prediction, accept)
            # A script's output_fn may return (payload, content type), like the defaults do.
            if isinstance(payload, tuple):
                payload, response_type = payload
            else:
                response_type = accept if _base_type(accept) not in ("", "*/*") else "application/json"
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        return bytes(payload), response_type


class _Handler(BaseHTTPRequestHandler):
    served: ServedModel | None = None
    load_error: str = ""

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path != "/ping":
            self._send(404, b"not found", "text/plain")
        elif self.served is None:
            self._send(500, self.load_error.encode(), "text/plain")
        else:
            self._send(200, b"", "text/plain")

    def do_POST(self) -> None:
        if self.path != "/invocations":
            self._send(404, b"not found", "text/plain")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.served is None:
            self._send(500, self.load_error.encode(), "text/plain")
            return
        content_type = self.headers.get("Content-Type") or "application/json"
        accept = self.headers.get("Accept") or "application/json"
        try:
            payload, response_type = self.served.invoke(body, content_type, accept)
        except UnsupportedContentType as exc:
            self._send(415, str(exc).encode(), "text/plain")
        except Exception as exc:
            logger.error("invocation failed:\n%s", traceback.format_exc())
            self._send(500, f"{type(exc).__name__}: {exc}".encode(), "text/plain")
        else:
            self._send(200, payload, response_type)


def _exit_with_parent(parent: int) -> None:
    """The host belongs to the emulator: when the emulator dies without stopping it, so does it."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local_aws.sagemaker.model_server")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    try:
        _Handler.served = ServedModel.load(args.model_dir, dict(os.environ))
    except Exception as exc:
        # Like the container: stay up, fail the health check with the reason.
        logger.error("model_fn failed:\n%s", traceback.format_exc())
        _Handler.load_error = f"the model could not be loaded: {type(exc).__name__}: {exc}"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
