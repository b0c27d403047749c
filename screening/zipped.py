"""Read a candidate rule pack from a zip held in memory, refusing archives that could harm us.

A reviewer uploads a zip to compare it with the shipped pack; nothing is written to disk,
and a zip bomb, a path that climbs out with `..`, or a damaged archive is refused with a
plain message.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from screening.diff import PackDiff, diff_packs
from screening.errors import PackError, Problem
from screening.loader import display_path, load_pack_from_files
from screening.models import RulePack
from screening.scenarios import (
    SCENARIOS_FOLDER,
    ScenarioError,
    ScenarioResult,
    load_scenarios,
    load_scenarios_from_files,
    run_scenarios,
)

MAX_MEMBERS = 200
"""A pack holds about a dozen files and its scenarios a few more; 200 is no rule pack."""

MAX_TOTAL_BYTES = 5_000_000
"""Cap on the uncompressed bytes read, counted as they are read: a header can lie."""

_IGNORED_PREFIXES = ("__MACOSX/",)


@dataclass(frozen=True)
class PackArchive:
    """The files of a zipped pack: pack files by name, and its scenario files by name."""

    files: dict[str, bytes]
    scenarios: dict[str, bytes]


class _RefusedError(Exception):
    """Why the archive is refused, in words for the reviewer."""


def read_pack_zip(data: bytes, label: str) -> PackArchive:
    """Unpack a zipped pack in memory; its files may sit at the root or in one top folder.

    Raises `PackError` naming `label` when the archive is damaged, too big or unsafe.
    """
    try:
        contents = _unpack(data)
    except _RefusedError as exc:
        raise PackError([Problem(label, str(exc))]) from None
    return _arrange(contents)


def _unpack(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _RefusedError("not a readable zip file") from None
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir() and not m.filename.startswith(_IGNORED_PREFIXES)
        ]
        if len(members) > MAX_MEMBERS:
            raise _RefusedError(
                f"the zip holds {len(members)} files; at most {MAX_MEMBERS} are read"
            )
        for member in members:
            if _unsafe(member.filename):
                raise _RefusedError(f"unsafe path in the zip: {member.filename!r}")
        contents: dict[str, bytes] = {}
        remaining = MAX_TOTAL_BYTES
        for member in members:
            contents[member.filename] = _read_member(archive, member, remaining)
            remaining -= len(contents[member.filename])
        return contents


def _unsafe(name: str) -> bool:
    """Absolute paths, drive letters and `..` could point outside the pack."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or ":" in name


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one member, never more than `limit` bytes, whatever its header says."""
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError):
        raise _RefusedError(f"damaged zip: {member.filename!r} cannot be read") from None
    except RuntimeError:
        raise _RefusedError(
            f"{member.filename!r} is encrypted; upload an unencrypted zip"
        ) from None
    except NotImplementedError:
        raise _RefusedError(f"{member.filename!r} uses an unsupported compression method") from None
    if len(data) > limit:
        raise _RefusedError(f"the zip unpacks to more than {MAX_TOTAL_BYTES:,} bytes")
    return data


def _arrange(contents: dict[str, bytes]) -> PackArchive:
    """Strip one shared top folder, then split pack files from scenario files."""
    parts = {name: PurePosixPath(name.replace("\\", "/")).parts for name in contents}
    tops = {p[0] for p in parts.values() if len(p) > 1}
    if len(tops) == 1 and all(len(p) > 1 for p in parts.values()):
        parts = {name: p[1:] for name, p in parts.items()}
    files = {p[0]: contents[name] for name, p in parts.items() if len(p) == 1}
    scenarios = {
        p[1]: contents[name]
        for name, p in parts.items()
        if len(p) == 2 and p[0] == SCENARIOS_FOLDER
    }
    return PackArchive(files=files, scenarios=scenarios)


@dataclass(frozen=True)
class Candidate:
    """A candidate pack checked against the shipped one: its diff and how its vignettes fare."""

    pack: RulePack
    diff: PackDiff
    results: tuple[ScenarioResult, ...]
    scenario_problems: tuple[Problem, ...]
    scenarios_from: str


def review_candidate(data: bytes, name: str, shipped: RulePack, shipped_rules: Path) -> Candidate:
    """Validate a zipped candidate pack in memory, diff it against `shipped`, run its vignettes.

    The zip's own `scenarios/` are run when it has them, else the shipped ones. Raises
    `PackError` when the zip or the pack is refused; scenario problems are reported, not raised.
    """
    archive = read_pack_zip(data, name)
    pack = load_pack_from_files(archive.files, name)
    own = bool(archive.scenarios)
    label = f"{name}/{SCENARIOS_FOLDER}" if own else display_path(shipped_rules / SCENARIOS_FOLDER)
    results: tuple[ScenarioResult, ...] = ()
    problems: tuple[Problem, ...] = ()
    try:
        placed = (
            load_scenarios_from_files(archive.scenarios, label, pack)
            if own
            else load_scenarios(shipped_rules / SCENARIOS_FOLDER, pack)
        )
        results = tuple(run_scenarios(pack, placed))
    except ScenarioError as exc:
        problems = tuple(exc.problems)
    return Candidate(pack, diff_packs(shipped, pack), results, problems, label)
