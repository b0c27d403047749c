"""Downloads are named from the date and a sanitised patient reference, never a bare name."""

from __future__ import annotations

import pytest

from screening import AnswersFile, RulePack, evaluate
from screening.export import answers_download_name, download_name
from screening.pdf import checklist_digest


def name(pack: RulePack, extension: str = "pdf", **details: str) -> str:
    return download_name(evaluate(pack, AnswersFile.model_validate(details)), extension)


class TestDownloadName:
    """`download_name` gives a name that tells files apart and is safe on any file system."""

    def test_it_carries_the_date_and_the_reference(self, mini_pack: RulePack) -> None:
        assert (
            name(mini_pack, patient_reference="Bed 4, afternoon clinic", date="2026-11-30")
            == "discussion-checklist_2026-11-30_bed-4-afternoon-clinic.pdf"
        )

    @pytest.mark.parametrize("extension", ["pdf", "json", "md"])
    def test_each_download_keeps_its_own_extension(
        self, mini_pack: RulePack, extension: str
    ) -> None:
        assert name(mini_pack, extension, patient_reference="A").endswith(f"_a.{extension}")

    @pytest.mark.parametrize(
        ("reference", "part"),
        [
            ("../../etc/passwd", "etc-passwd"),
            ("Zoë Ω", "zoe"),
            ('a\\b:c*d?e"f<g>h|i\x00j', "a-b-c-d-e-f-g-h-i-j"),
            ("  -x-  ", "x"),
        ],
    )
    def test_a_reference_is_folded_to_letters_digits_and_hyphens(
        self, mini_pack: RulePack, reference: str, part: str
    ) -> None:
        assert name(mini_pack, patient_reference=reference) == (
            f"discussion-checklist_undated_{part}.pdf"
        )

    def test_a_long_reference_is_cut_to_40_characters(self, mini_pack: RulePack) -> None:
        got = name(mini_pack, patient_reference="ab " * 60, date="2026-01-02")
        assert got.removeprefix("discussion-checklist_2026-01-02_").removesuffix(".pdf") == (
            "ab-" * 13 + "a"
        )

    @pytest.mark.parametrize("reference", [None, "王小明", "---"])
    def test_without_a_usable_reference_the_fingerprint_tells_files_apart(
        self, mini_pack: RulePack, reference: str | None
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(patient_reference=reference))
        got = download_name(checklist, "pdf")
        assert got == f"discussion-checklist_undated_{checklist_digest(checklist)[:8]}.pdf"
        assert got != "discussion-checklist.pdf"


class TestAnswersDownloadName:
    """An answers file is named from the answers alone, so the form need not build a checklist."""

    def test_it_carries_the_date_and_the_reference(self) -> None:
        answers = AnswersFile(patient_reference="Bed 4", date="2026-11-30")
        assert answers_download_name(answers) == "screening-answers_2026-11-30_bed-4.json"
        assert answers_download_name(answers, "fhir.json").endswith("_bed-4.fhir.json")

    def test_without_a_reference_different_answers_get_different_names(self) -> None:
        yes = answers_download_name(AnswersFile(answers={"history": "yes"}))
        no = answers_download_name(AnswersFile(answers={"history": "no"}))
        assert yes.startswith("screening-answers_undated_")
        assert yes != no

    def test_marks_on_the_points_do_not_change_the_name(self) -> None:
        plain = AnswersFile(answers={"history": "yes"})
        marked = plain.model_copy(update={"discussed": {"substance-history": {"done": True}}})
        assert answers_download_name(marked) == answers_download_name(plain)
