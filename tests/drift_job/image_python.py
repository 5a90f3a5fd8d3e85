"""A local stand-in for the Python of the image the drift job runs in, built on first use.

The drift pipeline's steps run in SageMaker's scikit-learn 1.2-1 image (`SKLEARN_FRAMEWORK_VERSION`
in mlops_kit/serving/images.py). That image is Python 3.9 with the packages pinned below, read from
its Dockerfile (`PYTHON_VERSION=3.9`) and requirements.txt on the 1.2-1 branch of
aws/sagemaker-scikit-learn-container. This module makes a venv of the same Python and packages
under .tools/, from a python3.9 on PATH or under pyenv, so tests can run the step scripts there.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import subprocess
from pathlib import Path

IMAGE_PYTHON = "3.9"
IMAGE_PACKAGES = ("numpy==1.24.1", "pandas==1.1.3", "scipy==1.8.0", "boto3==1.28.57")
VENV = Path(__file__).resolve().parents[2] / ".tools" / f"drift-image-python{IMAGE_PYTHON}"


class ImagePythonUnavailable(Exception):
    """No interpreter of the image's Python version here, or its packages cannot be installed."""


def image_python() -> Path:
    """The venv's interpreter, built once (and again when IMAGE_PACKAGES change)."""
    python, stamp = VENV / "bin" / "python", VENV / "packages.txt"
    wanted = "\n".join(IMAGE_PACKAGES) + "\n"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f"{VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time, should tests run in parallel
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        base = _base_interpreter()
        shutil.rmtree(VENV, ignore_errors=True)
        _run([base, "-m", "venv", str(VENV)])
        _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *IMAGE_PACKAGES])
        stamp.write_text(wanted)
    return python


def _base_interpreter() -> str:
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    # pyenv's own builds first: its shim on PATH fails unless that version is selected.
    candidates = sorted(glob.glob(f"{pyenv_root}/versions/{IMAGE_PYTHON}.*/bin/python{IMAGE_PYTHON}"))
    candidates.append(shutil.which(f"python{IMAGE_PYTHON}") or "")
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "import venv"], capture_output=True).returncode == 0:
            return candidate
    raise ImagePythonUnavailable(
        f"no Python {IMAGE_PYTHON} interpreter (python{IMAGE_PYTHON} on PATH or under "
        f"{pyenv_root}/versions): install one, e.g. `pyenv install {IMAGE_PYTHON}`"
    )


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        tail = "\n".join(completed.stderr.strip().splitlines()[-5:])
        raise ImagePythonUnavailable(f"{' '.join(command[:4])} ... failed:\n{tail}")
