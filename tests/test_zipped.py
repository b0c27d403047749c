"""A candidate pack read from a zip in memory: the same checks as a folder, and no zip harm."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.limits import MAX_ZIP_MEMBERS, MAX_ZIP_TOTAL_BYTES
from screening.pack.candidate import read_pack_zip, review_candidate
from screening.pack.loader import load_pack_from_files
from tests.conftest import FAILING, MINI_PACK, PASSING, write_pack, write_scenarios


def zipped(
    files: Mapping[str, str | bytes],
    compression: int = zipfile.ZIP_DEFLATED,
    also: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """A zip of `files`, then the members in `also` (which may repeat a name, as zip allows)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name
        for name, content in [*files.items(), *also]:
            archive.writestr(name, content)
    return buffer.getvalue()


def in_folder(folder: str, files: dict[str, str]) -> dict[str, str | bytes]:
    return {f"{folder}/{name}": text for name, text in files.items()}


def refusal(data: bytes) -> str:
    with pytest.raises(PackError) as caught:
        read_pack_zip(data, "candidate.zip")
    (problem,) = caught.value.problems
    return str(problem)


class TestReading:
    """The pack's files are found at the root or in one top folder; scenarios are kept apart."""

    def test_files_at_the_root_load_like_the_same_folder(self, mini_dir: Path) -> None:
        archive = read_pack_zip(zipped(dict(MINI_PACK)), "candidate.zip")
        pack = load_pack_from_files(archive.files, "candidate.zip")
        assert pack.sha256 == load_pack(mini_dir).sha256

    def test_one_top_folder_is_stripped_and_scenarios_are_set_apart(self) -> None:
        files: dict[str, str | bytes] = {f"rules/{n}": t for n, t in MINI_PACK.items()}
        files["rules/scenarios/main.yaml"] = PASSING
        files["rules/README.md"] = "# notes"
        files["__MACOSX/rules/._pack.yaml"] = b"\x00"
        archive = read_pack_zip(zipped(files), "candidate.zip")
        assert sorted(archive.files) == sorted([*MINI_PACK, "README.md"])
        assert archive.scenarios == {"main.yaml": PASSING.encode()}
        load_pack_from_files(archive.files, "candidate.zip")

    def test_a_pack_two_folders_deep_is_found(self, mini_dir: Path) -> None:
        archive = read_pack_zip(zipped(in_folder("work/rules", MINI_PACK)), "candidate.zip")
        assert archive.root == "work/rules"
        pack = load_pack_from_files(archive.files, archive.label("candidate.zip"))
        assert pack.sha256 == load_pack(mini_dir).sha256

    @pytest.mark.parametrize(
        "junk",
        [".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX/._rules", "rules/._pack.yaml"],
    )
    def test_files_the_operating_system_adds_are_ignored(self, junk: str) -> None:
        archive = read_pack_zip(zipped({**in_folder("rules", MINI_PACK), junk: b"\x00"}), "c.zip")
        assert archive.root == "rules"
        assert sorted(archive.files) == sorted(MINI_PACK)

    def test_problems_in_a_zipped_pack_name_the_zip_and_the_file(self) -> None:
        files = {n: t for n, t in MINI_PACK.items() if n != "items.yaml"}
        archive = read_pack_zip(zipped(files), "candidate.zip")
        with pytest.raises(PackError) as caught:
            load_pack_from_files(archive.files, "candidate.zip")
        assert [str(p) for p in caught.value.problems] == [
            "candidate.zip/items.yaml: file is missing"
        ]


class TestWhereThePackIs:
    """A zip holds one pack, in one place; otherwise it says where it looked and what it found."""

    def test_problems_in_a_pack_in_a_folder_name_that_folder(self) -> None:
        files = {n: t for n, t in MINI_PACK.items() if n != "items.yaml"}
        archive = read_pack_zip(zipped(in_folder("rules", files)), "c.zip")
        with pytest.raises(PackError) as caught:
            load_pack_from_files(archive.files, archive.label("c.zip"))
        assert [str(p) for p in caught.value.problems] == [
            "c.zip/rules/items.yaml: file is missing"
        ]

    def test_a_zip_without_pack_files_lists_what_it_holds(self) -> None:
        assert refusal(zipped({"notes/readme.txt": "x", "b.csv": "y"})) == (
            "candidate.zip: no rule pack found: pack.yaml, sources.yaml, items.yaml or "
            "rules-*.yaml were looked for at the root of the zip and in every folder, but the "
            "zip holds only 'b.csv', 'notes/readme.txt'"
        )

    def test_a_zip_inside_the_zip_is_named_and_not_opened(self) -> None:
        inner = zipped(dict(MINI_PACK))
        assert refusal(zipped({"rules.zip": inner})).endswith(
            "but the zip holds only 'rules.zip'. A zip inside the zip is not opened: "
            "upload 'rules.zip' itself"
        )

    def test_an_empty_zip_says_so(self) -> None:
        assert refusal(zipped({".DS_Store": "x"})).endswith("but the zip holds no files")

    def test_a_long_listing_is_cut_short(self) -> None:
        message = refusal(zipped({f"f{n:02}.txt": "" for n in range(20)}))
        assert message.endswith("'f07.txt' and 12 more")

    def test_pack_files_in_two_places_are_refused(self) -> None:
        files = {**in_folder("rules", MINI_PACK), "pack.yaml": MINI_PACK["pack.yaml"]}
        assert refusal(zipped(files)) == (
            "candidate.zip: pack files are in 2 places, the root of the zip and folder 'rules/'; "
            "a zip holds one pack, at its root or in one folder"
        )

    def test_files_outside_the_pack_folder_are_refused(self) -> None:
        files = {**in_folder("rules", MINI_PACK), "other/rules.txt": "x", "notes.md": "y"}
        assert refusal(zipped(files)) == (
            "candidate.zip: the pack is in folder 'rules/', but the zip also holds "
            "'notes.md', 'other/rules.txt' outside it: zip the pack folder alone"
        )


class TestRefusals:
    """Damaged, oversized or unsafe archives are refused with one plain message."""

    def test_a_name_held_twice_is_refused(self) -> None:
        data = zipped(dict(MINI_PACK), also=(("rules-main.yaml", "rules: []\n"),))
        assert refusal(data) == (
            "candidate.zip: 'rules-main.yaml' is in the zip twice; only one copy could be read, "
            "so the zip is refused: make a fresh zip of the pack folder"
        )

    @pytest.mark.parametrize(
        "spelling", ["./a/rules-main.yaml", "a//rules-main.yaml", "a\\rules-main.yaml"]
    )
    def test_the_same_path_spelled_two_ways_is_refused(self, spelling: str) -> None:
        data = zipped(in_folder("a", MINI_PACK), also=((spelling, "rules: []\n"),))
        assert refusal(data).startswith(
            f"candidate.zip: 'a/rules-main.yaml' is in the zip twice (as 'a/rules-main.yaml' "
            f"and {spelling!r}); only one copy could be read"
        )

    def test_bytes_that_are_not_a_zip_are_refused(self) -> None:
        assert refusal(b"PK\x03\x04 not really") == "candidate.zip: not a readable zip file"

    @pytest.mark.parametrize("name", ["../pack.yaml", "rules/../../x.yaml", "/etc/pack.yaml"])
    def test_a_path_that_climbs_out_is_refused(self, name: str) -> None:
        data = zipped({**MINI_PACK, name: "x"})
        assert refusal(data) == f"candidate.zip: unsafe path in the zip: {name!r}"

    def test_too_many_members_are_refused(self) -> None:
        data = zipped({f"f{i}.txt": "" for i in range(MAX_ZIP_MEMBERS + 1)})
        assert refusal(data) == (
            f"candidate.zip: the zip holds {MAX_ZIP_MEMBERS + 1} files; at most {MAX_ZIP_MEMBERS} are read"
        )

    def test_a_zip_bomb_is_refused_without_unpacking_it_all(self) -> None:
        data = zipped({"pack.yaml": b"\x00" * (MAX_ZIP_TOTAL_BYTES + 1)})
        assert len(data) < 100_000
        assert refusal(data) == (
            f"candidate.zip: the zip unpacks to more than {MAX_ZIP_TOTAL_BYTES:,} bytes"
        )

    def test_many_files_together_over_the_cap_are_refused(self) -> None:
        half = b"a" * (MAX_ZIP_TOTAL_BYTES // 2 + 1)
        assert "unpacks to more than" in refusal(zipped({"a.yaml": half, "b.yaml": half}))

    def test_a_zip_needing_a_newer_zip_version_is_refused_cleanly(self) -> None:
        data = bytearray(zipped(MINI_PACK))
        central = data.index(b"PK\x01\x02")
        data[central + 6] = 99  # "version needed to extract": 9.9, beyond what zipfile reads
        assert refusal(bytes(data)) == (
            "candidate.zip: made with zip features this program does not read (a newer zip "
            "version); zip the folder again with a common tool"
        )

    def test_a_damaged_member_is_refused(self) -> None:
        data = bytearray(zipped({"pack.yaml": "pack: {}\n" * 20}, zipfile.ZIP_STORED))
        data[data.index(b"pack: {}") + 2] ^= 0xFF
        assert refusal(bytes(data)) == "candidate.zip: damaged zip: 'pack.yaml' cannot be read"


class TestCandidate:
    """A valid candidate is diffed against the shipped pack and its vignettes are run."""

    def test_a_changed_candidate_shows_its_diff(self, mini_dir: Path) -> None:
        shipped = load_pack(mini_dir)
        rules = MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: verify")
        data = zipped({**MINI_PACK, "rules-main.yaml": rules})
        candidate = review_candidate(data, "c.zip", shipped, mini_dir)
        assert [(c.id, c.action) for c in candidate.diff.changes] == [
            ("setting-monitoring", "changed")
        ]
        assert candidate.diff.warnings != ()

    def test_the_candidate_runs_its_own_vignettes_when_it_has_them(self, mini_dir: Path) -> None:
        write_scenarios(mini_dir, PASSING)
        data = zipped({**MINI_PACK, "scenarios/own.yaml": FAILING})
        candidate = review_candidate(data, "c.zip", load_pack(mini_dir), mini_dir)
        assert candidate.scenarios_from == "c.zip/scenarios"
        assert [r.passed for r in candidate.results] == [False]

    def test_without_its_own_vignettes_the_shipped_ones_are_run(self, mini_dir: Path) -> None:
        write_scenarios(mini_dir, PASSING)
        candidate = review_candidate(
            zipped(dict(MINI_PACK)), "c.zip", load_pack(mini_dir), mini_dir
        )
        assert candidate.scenarios_from.endswith("scenarios")
        assert [r.passed for r in candidate.results] == [True]

    def test_vignettes_naming_a_removed_rule_are_reported_not_raised(self, mini_dir: Path) -> None:
        write_scenarios(mini_dir, PASSING)
        rules = MINI_PACK["rules-main.yaml"].replace("id: substance-active", "id: substance-now")
        data = zipped({**MINI_PACK, "rules-main.yaml": rules})
        candidate = review_candidate(data, "c.zip", load_pack(mini_dir), mini_dir)
        assert candidate.results == ()
        assert "absent names unknown rule 'substance-active'" in str(candidate.scenario_problems[0])

    def test_vignettes_in_a_subfolder_are_reported_and_none_is_run(self, mini_dir: Path) -> None:
        write_scenarios(mini_dir, PASSING)
        files = {**MINI_PACK, "scenarios/own.yaml": PASSING, "scenarios/more/x.yaml": PASSING}
        candidate = review_candidate(zipped(files), "c.zip", load_pack(mini_dir), mini_dir)
        assert candidate.results == ()
        assert [str(p) for p in candidate.scenario_problems] == [
            "c.zip/scenarios/more/x.yaml: not read: vignettes are read only from scenarios/ "
            "itself, not from its subfolders, as in a pack folder; move the file into scenarios/"
        ]

    def test_other_files_in_a_scenarios_subfolder_do_not_matter(self, mini_dir: Path) -> None:
        files = {**MINI_PACK, "scenarios/own.yaml": PASSING, "scenarios/notes/README.md": "x"}
        candidate = review_candidate(zipped(files), "c.zip", load_pack(mini_dir), mini_dir)
        assert [r.passed for r in candidate.results] == [True]

    def test_an_invalid_candidate_is_refused(self, tmp_path: Path) -> None:
        shipped = load_pack(write_pack(tmp_path / "shipped"))
        data = zipped({**MINI_PACK, "rules-main.yaml": "rules: [1]\n"})
        with pytest.raises(PackError) as caught:
            review_candidate(data, "c.zip", shipped, tmp_path / "shipped")
        assert str(caught.value.problems[0]).startswith("c.zip/rules-main.yaml:1:")
