"""Read a candidate rule pack from a zip held in memory, refusing archives that could harm us.

A reviewer uploads a zip to compare it with the shipped pack; nothing is written to disk,
and a zip bomb, a path that climbs out with `..`, a name held twice or a damaged archive is
refused with a plain message.
"""

from __future__ import annotations

import fnmatch
import io
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from screening.errors import PackError, Problem
from screening.limits import MAX_ZIP_MEMBERS, MAX_ZIP_TOTAL_BYTES
from screening.models import RulePack
from screening.pack.loader import (
    ITEMS_FILE,
    PACK_FILE,
    RULES_GLOB,
    SOURCES_FILE,
    display_path,
    load_pack_from_files,
)
from screening.pack.scenarios import (
    SCENARIOS_FOLDER,
    ScenarioError,
    ScenarioResult,
    load_scenarios,
    load_scenarios_from_files,
    run_scenarios,
)
from screening.review.diff import PackDiff, diff_packs

_JUNK_FOLDERS = frozenset({"__MACOSX"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_LISTED = 8
"""How many of the zip's names a message lists before saying how many more there are."""


@dataclass(frozen=True)
class PackArchive:
    """The files of a zipped pack, found in `root` (a folder of the zip, "" for its root).

    `files` are the pack folder's own files by name, `scenarios` the files directly in its
    `scenarios/` folder, and `nested_scenarios` any YAML file deeper down, which is not read.
    """

    files: dict[str, bytes]
    scenarios: dict[str, bytes]
    root: str = ""
    nested_scenarios: tuple[str, ...] = ()

    def label(self, name: str) -> str:
        """Where the pack sits, for messages: `name` for the zip, then the folder inside it."""
        return f"{name}/{self.root}" if self.root else name


class _RefusedError(Exception):
    """Why the archive is refused, in words for the reviewer."""


def read_pack_zip(data: bytes, label: str) -> PackArchive:
    """Unpack a zipped pack in memory; the pack is the one folder holding its files.

    Raises `PackError` naming `label` when the archive is damaged, too big or unsafe, holds a
    name twice, or holds no pack, several, or files outside the pack's folder.
    """
    try:
        return _arrange(_unpack(data))
    except _RefusedError as exc:
        raise PackError([Problem(label, str(exc))]) from None


def _unpack(data: bytes) -> dict[str, bytes]:
    """The zip's files by normalised path, without folders and operating-system clutter."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _RefusedError("not a readable zip file") from None
    except NotImplementedError:
        raise _RefusedError(
            "made with zip features this program does not read (a newer zip version); "
            "zip the folder again with a common tool"
        ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members:
            if _unsafe(member.filename):
                raise _RefusedError(f"unsafe path in the zip: {member.filename!r}")
        members = [m for m in members if not _junk(m.filename)]
        if len(members) > MAX_ZIP_MEMBERS:
            raise _RefusedError(
                f"the zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are read"
            )
        written: dict[str, str] = {}
        for member in members:
            name = _normalised(member.filename)
            if name in written:
                raise _RefusedError(_twice(name, written[name], member.filename))
            written[name] = member.filename
        contents: dict[str, bytes] = {}
        remaining = MAX_ZIP_TOTAL_BYTES
        for member in members:
            read = _read_member(archive, member, remaining)
            contents[_normalised(member.filename)] = read
            remaining -= len(read)
        return contents


def _path(name: str) -> PurePosixPath:
    """Backslashes read as slashes; `.` and empty parts drop out; one Unicode spelling."""
    return PurePosixPath(unicodedata.normalize("NFC", name.replace("\\", "/")))


def _normalised(name: str) -> str:
    return "/".join(_path(name).parts)


def _unsafe(name: str) -> bool:
    """Absolute paths, drive letters and `..` could point outside the pack; `.` names nothing."""
    path = _path(name)
    return path.is_absolute() or ".." in path.parts or ":" in name or not path.parts


def _junk(name: str) -> bool:
    """Files that macOS and Windows add to a zip: never part of a pack, so never read."""
    parts = _path(name).parts
    return (
        bool(_JUNK_FOLDERS.intersection(parts))
        or parts[-1] in _JUNK_FILES
        or parts[-1].startswith("._")
    )


def _twice(name: str, first: str, second: str) -> str:
    """Adding files to an existing zip can leave an old copy beside the new one."""
    spelled = "" if first == second else f" (as {first!r} and {second!r})"
    return (
        f"{name!r} is in the zip twice{spelled}; only one copy could be read, so the zip is "
        "refused: make a fresh zip of the pack folder"
    )


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one member, never more than `limit` bytes, whatever its header says."""
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error):
        raise _RefusedError(f"damaged zip: {member.filename!r} cannot be read") from None
    except RuntimeError:
        raise _RefusedError(
            f"{member.filename!r} is encrypted; upload an unencrypted zip"
        ) from None
    except NotImplementedError:
        raise _RefusedError(f"{member.filename!r} uses an unsupported compression method") from None
    if len(data) > limit:
        raise _RefusedError(f"the zip unpacks to more than {MAX_ZIP_TOTAL_BYTES:,} bytes")
    return data


def _is_pack_file(parts: tuple[str, ...]) -> bool:
    name = parts[-1]
    in_scenarios = len(parts) > 1 and parts[-2] == SCENARIOS_FOLDER
    named = name in (PACK_FILE, SOURCES_FILE, ITEMS_FILE) or fnmatch.fnmatchcase(name, RULES_GLOB)
    return named and not in_scenarios


def _folder(parts: tuple[str, ...]) -> str:
    return f"folder '{'/'.join(parts)}/'" if parts else "the root of the zip"


def _listing(names: Iterable[str]) -> str:
    shown = sorted(names)
    listed = ", ".join(repr(n) for n in shown[:_LISTED])
    return listed + (f" and {len(shown) - _LISTED} more" if len(shown) > _LISTED else "")


def _arrange(contents: dict[str, bytes]) -> PackArchive:
    """Find the one folder holding pack files, then split its files from its scenarios."""
    parts = {name: tuple(name.split("/")) for name in contents}
    folders = sorted({p[:-1] for p in parts.values() if _is_pack_file(p)})
    if not folders:
        raise _RefusedError(_no_pack(list(contents)))
    if len(folders) > 1:
        places = [_folder(f) for f in folders]
        raise _RefusedError(
            f"pack files are in {len(places)} places, {', '.join(places[:-1])} and {places[-1]}; "
            "a zip holds one pack, at its root or in one folder"
        )
    root = folders[0]
    outside = [name for name, p in parts.items() if p[: len(root)] != root]
    if outside:
        raise _RefusedError(
            f"the pack is in {_folder(root)}, but the zip also holds {_listing(outside)} "
            "outside it: zip the pack folder alone"
        )
    inner = {p[len(root) :]: contents[name] for name, p in parts.items()}
    return PackArchive(
        files={p[0]: data for p, data in inner.items() if len(p) == 1},
        scenarios={
            p[1]: data for p, data in inner.items() if len(p) == 2 and p[0] == SCENARIOS_FOLDER
        },
        root="/".join(root),
        nested_scenarios=tuple(
            sorted(
                "/".join(p[1:])
                for p in inner
                if len(p) > 2 and p[0] == SCENARIOS_FOLDER and p[-1].endswith((".yaml", ".yml"))
            )
        ),
    )


def _no_pack(names: list[str]) -> str:
    looked = (
        f"no rule pack found: {PACK_FILE}, {SOURCES_FILE}, {ITEMS_FILE} or {RULES_GLOB} were "
        "looked for at the root of the zip and in every folder"
    )
    if not names:
        return f"{looked}, but the zip holds no files"
    message = f"{looked}, but the zip holds only {_listing(names)}"
    inner_zips = [n for n in names if n.lower().endswith(".zip")]
    if inner_zips:
        message += f". A zip inside the zip is not opened: upload {_listing(inner_zips)} itself"
    return message


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

    The zip's own `scenarios/` are run when it has them, else the shipped ones; a vignette
    file in a subfolder of `scenarios/` is reported, as it would not be run. Raises
    `PackError` when the zip or the pack is refused; scenario problems are reported, not raised.
    """
    archive = read_pack_zip(data, name)
    pack = load_pack_from_files(archive.files, archive.label(name))
    own = bool(archive.scenarios or archive.nested_scenarios)
    label = (
        f"{archive.label(name)}/{SCENARIOS_FOLDER}"
        if own
        else display_path(shipped_rules / SCENARIOS_FOLDER)
    )
    problems = [
        Problem(
            f"{label}/{nested}",
            f"not read: vignettes are read only from {SCENARIOS_FOLDER}/ itself, not from its "
            f"subfolders, as in a pack folder; move the file into {SCENARIOS_FOLDER}/",
        )
        for nested in archive.nested_scenarios
    ]
    results: tuple[ScenarioResult, ...] = ()
    if not problems:
        try:
            placed = (
                load_scenarios_from_files(archive.scenarios, label, pack)
                if own
                else load_scenarios(shipped_rules / SCENARIOS_FOLDER, pack)
            )
            results = tuple(run_scenarios(pack, placed))
        except ScenarioError as exc:
            problems = exc.problems
    return Candidate(pack, diff_packs(shipped, pack), results, tuple(problems), label)
