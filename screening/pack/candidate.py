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

from screening.catalogue import N_, Said
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
        raise PackError([Problem(label, exc.args[0])]) from None


def _unpack(data: bytes) -> dict[str, bytes]:
    """The zip's files by normalised path, without folders and operating-system clutter."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _RefusedError(Said(N_("not a readable zip file"))) from None
    except NotImplementedError:
        raise _RefusedError(
            Said(
                N_(
                    "made with zip features this program does not read (a newer zip version); "
                    "zip the folder again with a common tool"
                )
            )
        ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members:
            if _unsafe(member.filename):
                raise _RefusedError(
                    Said(N_("unsafe path in the zip: {name}"), name=repr(member.filename))
                )
        members = [m for m in members if not _junk(m.filename)]
        if len(members) > MAX_ZIP_MEMBERS:
            raise _RefusedError(
                Said(
                    N_("the zip holds {count} files; at most {limit} are read"),
                    count=str(len(members)),
                    limit=str(MAX_ZIP_MEMBERS),
                )
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


def _twice(name: str, first: str, second: str) -> Said:
    """Adding files to an existing zip can leave an old copy beside the new one."""
    if first == second:
        message = N_(
            "{name} is in the zip twice; only one copy could be read, so the zip is refused: "
            "make a fresh zip of the pack folder"
        )
    else:
        message = N_(
            "{name} is in the zip twice (as {first} and {second}); only one copy could be "
            "read, so the zip is refused: make a fresh zip of the pack folder"
        )
    return Said(message, name=repr(name), first=repr(first), second=repr(second))


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one member, never more than `limit` bytes, whatever its header says."""
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error):
        raise _RefusedError(
            Said(N_("damaged zip: {name} cannot be read"), name=repr(member.filename))
        ) from None
    except RuntimeError:
        raise _RefusedError(
            Said(N_("{name} is encrypted; upload an unencrypted zip"), name=repr(member.filename))
        ) from None
    except NotImplementedError:
        raise _RefusedError(
            Said(N_("{name} uses an unsupported compression method"), name=repr(member.filename))
        ) from None
    if len(data) > limit:
        raise _RefusedError(
            Said(N_("the zip unpacks to more than {limit} bytes"), limit=f"{MAX_ZIP_TOTAL_BYTES:,}")
        )
    return data


def _is_pack_file(parts: tuple[str, ...]) -> bool:
    name = parts[-1]
    in_scenarios = len(parts) > 1 and parts[-2] == SCENARIOS_FOLDER
    named = name in (PACK_FILE, SOURCES_FILE, ITEMS_FILE) or fnmatch.fnmatchcase(name, RULES_GLOB)
    return named and not in_scenarios


def _folder(parts: tuple[str, ...]) -> Said:
    if parts:
        return Said(N_("folder '{folder}/'"), folder="/".join(parts))
    return Said(N_("the root of the zip"))


def _listing(names: Iterable[str]) -> str:
    shown = sorted(names)
    listed = ", ".join(repr(n) for n in shown[:_LISTED])
    if len(shown) <= _LISTED:
        return listed
    return Said(N_("{listed} and {more} more"), listed=listed, more=str(len(shown) - _LISTED))


def _arrange(contents: dict[str, bytes]) -> PackArchive:
    """Find the one folder holding pack files, then split its files from its scenarios."""
    parts = {name: tuple(name.split("/")) for name in contents}
    folders = sorted({p[:-1] for p in parts.values() if _is_pack_file(p)})
    if not folders:
        raise _RefusedError(_no_pack(list(contents)))
    if len(folders) > 1:
        places = [_folder(f) for f in folders]
        raise _RefusedError(
            Said(
                N_(
                    "pack files are in {count} places, {some} and {last}; a zip holds one pack, "
                    "at its root or in one folder"
                ),
                count=str(len(places)),
                some=", ".join(places[:-1]),
                last=places[-1],
            )
        )
    root = folders[0]
    outside = [name for name, p in parts.items() if p[: len(root)] != root]
    if outside:
        raise _RefusedError(
            Said(
                N_(
                    "the pack is in {folder}, but the zip also holds {listing} outside it: zip "
                    "the pack folder alone"
                ),
                folder=_folder(root),
                listing=_listing(outside),
            )
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


def _no_pack(names: list[str]) -> Said:
    files = {"pack": PACK_FILE, "sources": SOURCES_FILE, "items": ITEMS_FILE, "rules": RULES_GLOB}
    if not names:
        return Said(
            N_(
                "no rule pack found: {pack}, {sources}, {items} or {rules} were looked for at the "
                "root of the zip and in every folder, but the zip holds no files"
            ),
            **files,
        )
    inner_zips = [n for n in names if n.lower().endswith(".zip")]
    if inner_zips:
        return Said(
            N_(
                "no rule pack found: {pack}, {sources}, {items} or {rules} were looked for at the "
                "root of the zip and in every folder, but the zip holds only {listing}. A zip "
                "inside the zip is not opened: upload {zips} itself"
            ),
            listing=_listing(names),
            zips=_listing(inner_zips),
            **files,
        )
    return Said(
        N_(
            "no rule pack found: {pack}, {sources}, {items} or {rules} were looked for at the "
            "root of the zip and in every folder, but the zip holds only {listing}"
        ),
        listing=_listing(names),
        **files,
    )


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
            Said(
                N_(
                    "not read: vignettes are read only from {folder}/ itself, not from its "
                    "subfolders, as in a pack folder; move the file into {folder}/"
                ),
                folder=SCENARIOS_FOLDER,
            ),
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
