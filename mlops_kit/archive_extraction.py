"""Extract a tar archive only if every member stays inside the target folder.

`tarfile`'s own "data" filter strips a leading `/` and carries on; an artifact that names an
absolute path was not built by the kit, so it is refused here instead, with the member named.
Standard library only: the pipeline ships this file to its steps' containers (`lib/`).
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path, PurePosixPath


class UnsafeArchive(ValueError):
    """A member would land outside the target folder, or is a kind of file an artifact never holds."""


def _inside(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        return False
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return False
    return True


def member_problem(member: tarfile.TarInfo) -> str | None:
    """Why `member` may not be extracted, or None when it is a plain file or folder inside the target."""
    name = member.name
    if not _inside(name):
        return f"member '{name}' lands outside the target (absolute path or '..')"
    if member.issym() or member.islnk():
        target = member.linkname
        # A symlink resolves from its own folder; a hard link names a member from the archive root.
        resolved = str(PurePosixPath(name).parent / target) if member.issym() else target
        if PurePosixPath(target).is_absolute() or not _inside(resolved):
            kind = "symlink" if member.issym() else "hard link"
            return f"member '{name}' is a {kind} to '{target}', outside the target"
        return None
    if not (member.isfile() or member.isdir()):
        return f"member '{name}' is a device, fifo or other special file"
    return None


def extract_archive(archive: Path | bytes, destination: Path) -> list[str]:
    """Extract `archive` (a path or its bytes, any compression) into `destination`; returns the
    member names. Raises UnsafeArchive naming the first member that would escape, before writing
    anything."""
    destination.mkdir(parents=True, exist_ok=True)
    source = {"fileobj": io.BytesIO(archive)} if isinstance(archive, bytes) else {"name": str(archive)}
    with tarfile.open(mode="r:*", **source) as tar:  # type: ignore[call-overload]
        members = tar.getmembers()
        for member in members:
            if problem := member_problem(member):
                raise UnsafeArchive(problem)
        tar.extractall(destination, members=members, filter="data")
    return [m.name for m in members]
