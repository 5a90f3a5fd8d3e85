"""Artifacts are unpacked only inside their target folder; crafted archives are refused whole."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from mlops_kit.archive_extraction import UnsafeArchive, extract_archive


def archive_of(*members: tuple[str, str, str]) -> bytes:
    """(name, kind, payload) -> tar.gz bytes; kind is file, symlink or hardlink (payload = link target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload.encode()))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = payload
                tar.addfile(info)
    return buffer.getvalue()


def test_extract_archive_unpacks_a_plain_model_archive(tmp_path: Path) -> None:
    archive = archive_of(("model.joblib", "file", "weights"), ("code/inference.py", "file", "print()"))
    names = extract_archive(archive, tmp_path / "model")
    assert names == ["model.joblib", "code/inference.py"]
    assert (tmp_path / "model" / "code" / "inference.py").read_text() == "print()"


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (("/etc/cron.d/evil", "file", "x"), "'/etc/cron.d/evil' lands outside the target"),
        (("../evil.py", "file", "x"), "'../evil.py' lands outside the target"),
        (("code/../../evil.py", "file", "x"), "'code/../../evil.py' lands outside the target"),
        (("link", "symlink", "/etc/passwd"), "'link' is a symlink to '/etc/passwd', outside the target"),
        (("code/link", "symlink", "../../x"), "'code/link' is a symlink to '../../x', outside the target"),
        (("hard", "hardlink", "../outside"), "'hard' is a hard link to '../outside', outside the target"),
    ],
    ids=["absolute", "dotdot", "nested-dotdot", "symlink-absolute", "symlink-up", "hardlink-up"],
)
def test_extract_archive_refuses_a_member_outside_the_target_and_writes_nothing(
    tmp_path: Path, member: tuple[str, str, str], reason: str
) -> None:
    archive = archive_of(("model.joblib", "file", "weights"), member)
    with pytest.raises(UnsafeArchive, match=reason.replace("(", r"\(").replace(".", r"\.")):
        extract_archive(archive, tmp_path / "model")
    assert list((tmp_path / "model").iterdir()) == []
    assert not (tmp_path / "evil.py").exists()


def test_extract_archive_keeps_a_symlink_that_stays_inside(tmp_path: Path) -> None:
    archive = archive_of(("model.joblib", "file", "weights"), ("code/current", "symlink", "../model.joblib"))
    extract_archive(archive, tmp_path / "model")
    assert (tmp_path / "model" / "code" / "current").read_text() == "weights"


def test_model_host_refuses_a_model_archive_with_an_escaping_member(tmp_path: Path) -> None:
    from local_aws.sagemaker.model_host import unpack_model_archive
    from mlops_kit.errors import OperationFailed

    archive = archive_of(("../../serve.py", "file", "import os"))
    with pytest.raises(OperationFailed, match=r"model data is refused: member '\.\./\.\./serve\.py'"):
        unpack_model_archive(archive, tmp_path / "host" / "model")
    assert not (tmp_path / "serve.py").exists()
