"""A candidate pack read from a zip in memory: the same checks as a folder, and no zip harm."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.loader import load_pack_from_files
from screening.zipped import MAX_MEMBERS, MAX_TOTAL_BYTES, read_pack_zip, review_candidate
from tests.conftest import MINI_PACK, write_pack
from tests.test_scenarios import FAILING, PASSING, write_scenarios


def zipped(files: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


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

    def test_problems_in_a_zipped_pack_name_the_zip_and_the_file(self) -> None:
        files = {n: t for n, t in MINI_PACK.items() if n != "items.yaml"}
        archive = read_pack_zip(zipped(files), "candidate.zip")
        with pytest.raises(PackError) as caught:
            load_pack_from_files(archive.files, "candidate.zip")
        assert [str(p) for p in caught.value.problems] == [
            "candidate.zip/items.yaml: file is missing"
        ]


class TestRefusals:
    """Damaged, oversized or unsafe archives are refused with one plain message."""

    def test_bytes_that_are_not_a_zip_are_refused(self) -> None:
        assert refusal(b"PK\x03\x04 not really") == "candidate.zip: not a readable zip file"

    @pytest.mark.parametrize("name", ["../pack.yaml", "rules/../../x.yaml", "/etc/pack.yaml"])
    def test_a_path_that_climbs_out_is_refused(self, name: str) -> None:
        data = zipped({**MINI_PACK, name: "x"})
        assert refusal(data) == f"candidate.zip: unsafe path in the zip: {name!r}"

    def test_too_many_members_are_refused(self) -> None:
        data = zipped({f"f{i}.txt": "" for i in range(MAX_MEMBERS + 1)})
        assert refusal(data) == (
            f"candidate.zip: the zip holds {MAX_MEMBERS + 1} files; at most {MAX_MEMBERS} are read"
        )

    def test_a_zip_bomb_is_refused_without_unpacking_it_all(self) -> None:
        data = zipped({"pack.yaml": b"\x00" * (MAX_TOTAL_BYTES + 1)})
        assert len(data) < 100_000
        assert refusal(data) == (
            f"candidate.zip: the zip unpacks to more than {MAX_TOTAL_BYTES:,} bytes"
        )

    def test_many_files_together_over_the_cap_are_refused(self) -> None:
        half = b"a" * (MAX_TOTAL_BYTES // 2 + 1)
        assert "unpacks to more than" in refusal(zipped({"a.yaml": half, "b.yaml": half}))

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

    def test_an_invalid_candidate_is_refused(self, tmp_path: Path) -> None:
        shipped = load_pack(write_pack(tmp_path / "shipped"))
        data = zipped({**MINI_PACK, "rules-main.yaml": "rules: [1]\n"})
        with pytest.raises(PackError) as caught:
            review_candidate(data, "c.zip", shipped, tmp_path / "shipped")
        assert str(caught.value.problems[0]).startswith("c.zip/rules-main.yaml:1:")
