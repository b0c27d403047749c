"""The checklist is the whole view model: every renderer takes the `Checklist` and nothing
else, and marks are folded into a checklist as data, without evaluating again."""

from __future__ import annotations

import inspect
import io
import json

import pytest
from pypdf import PdfReader

from screening import AnswersError, AnswersFile, DiscussedMark, RulePack, evaluate
from screening.batch.audit import audit_json, audit_named, audit_result, audit_results_table
from screening.batch.run import results_table, run_batch
from screening.batch.table import read_table_bytes
from screening.cds.cards import checklist_cards, summary_card
from screening.engine import checklist_with_marks
from screening.export import checklist_from_json, checklist_json
from screening.fhir.response import questionnaire_response, response_json
from screening.formats import EXPORT_FORMATS
from screening.pdf.record import RECORD_NAME, checklist_pdf
from tests.conftest import ROWS, csv_text


class TestMarksFoldedIn:
    """`checklist_with_marks` gives what `evaluate` gives for the answers with those marks."""

    @pytest.mark.parametrize(
        "marks",
        [
            {},
            {"substance-history": DiscussedMark(done=True, note="Talked it through")},
            {
                "substance-history": DiscussedMark(done=False, note="next visit"),
                "setting-monitoring": DiscussedMark(done=True),
            },
        ],
        ids=["none", "one", "two"],
    )
    def test_folding_marks_in_equals_evaluating_the_marked_answers(
        self, mini_pack: RulePack, marks: dict[str, DiscussedMark]
    ) -> None:
        given = AnswersFile(answers={"history": "yes", "monitoring": "no"})
        folded = checklist_with_marks(evaluate(mini_pack, given), marks)
        marked = given.model_copy(update={"discussed": marks})
        assert folded == evaluate(mini_pack, marked)

    def test_marks_replace_the_marks_the_checklist_carried(self, mini_pack: RulePack) -> None:
        marked = AnswersFile(
            answers={"history": "yes"},
            discussed={"substance-history": DiscussedMark(done=True)},
        )
        cleared = checklist_with_marks(evaluate(mini_pack, marked), {})
        assert [e.done for e in cleared.entries] == [False] * len(cleared.entries)

    def test_a_mark_on_a_point_not_raised_is_refused_as_evaluate_refuses_it(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "no", "monitoring": "yes"}))
        with pytest.raises(AnswersError, match="this rule raises no checklist entry"):
            checklist_with_marks(checklist, {"substance-history": DiscussedMark(done=True)})


class TestTheChecklistCarriesWhatAnswersItsExports:
    """What a renderer once read from the pack or the answers file, the checklist carries."""

    def test_the_answers_a_checklist_was_made_from_are_its_own(self, mini_pack: RulePack) -> None:
        given = AnswersFile(
            answers={"history": "yes", "active": "unknown"},
            patient_reference="bed 4",
            clinician="Dr B",
            date="2026-11-30",
            discussed={"substance-history": DiscussedMark(done=True, note="ok")},
        )
        assert evaluate(mini_pack, given).answers_file() == given

    def test_the_pdf_record_holds_the_answers_the_checklist_was_made_from(
        self, mini_pack: RulePack
    ) -> None:
        given = AnswersFile(answers={"monitoring": "no"}, patient_reference="bed 4")
        reader = PdfReader(io.BytesIO(checklist_pdf(evaluate(mini_pack, given))))
        record = json.loads(reader.attachments[RECORD_NAME][0])
        assert AnswersFile.model_validate(record["answers"]) == given

    def test_an_open_card_says_what_its_rule_would_raise_from_the_checklist(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(
            mini_pack, AnswersFile(answers={"history": "yes", "monitoring": "yes"})
        )
        (open_entry,) = [e for e in checklist.entries if e.open_items]
        assert open_entry.text == "Discuss current non-medical use before any treatment."
        card = next(
            c
            for c in checklist_cards(checklist)
            if c["source"]["topic"]["code"] == open_entry.rule_id
        )
        assert (
            "**If it applies:** Discuss current non-medical use before any treatment."
            in card["detail"]
        )

    def test_the_json_words_an_open_points_text_and_gives_its_rules_own_beside_it(
        self, mini_pack: RulePack
    ) -> None:
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "yes"}))
        shown = {e["rule_id"]: e for e in json.loads(checklist_json(checklist))["entries"]}
        assert (shown["substance-active"]["text"], shown["substance-active"]["rule_text"]) == (
            "Find out: active use? If yes: Discuss current non-medical use",
            "Discuss current non-medical use before any treatment.",
        )
        assert "rule_text" not in shown["substance-history"]

    @pytest.mark.parametrize(
        "answers",
        [{}, {"history": "yes"}, {"history": "yes", "active": "unknown"}, {"history": "no"}],
        ids=["none", "one open", "one unknown", "none raised"],
    )
    def test_the_json_export_reads_back_as_the_same_checklist(
        self, mini_pack: RulePack, answers: dict[str, str]
    ) -> None:
        """An integrator may read `evaluate --format json` back into the package's own model."""
        checklist = evaluate(mini_pack, AnswersFile.model_validate({"answers": answers}))
        written = checklist_json(checklist)
        read = checklist_from_json(written)
        assert read == checklist
        assert checklist_json(read) == written

    def test_the_json_entries_keep_their_public_shape(self, mini_pack: RulePack) -> None:
        """The fields and their order, as `evaluate --format json` wrote them before entries
        held structure only; `rule_text` for an open point only."""
        checklist = evaluate(mini_pack, AnswersFile(answers={"history": "yes"}))
        shown = {e["rule_id"]: e for e in json.loads(checklist_json(checklist))["entries"]}
        raised, opened = shown["substance-history"], shown["substance-active"]
        shape = [
            *("rule_id", "kind", "section", "summary", "text", "because", "open_items"),
            *("raised_if", "sources", "source_says", "rationale", "done", "note"),
        ]
        assert (list(raised), list(opened)) == (shape, [*shape, "rule_text"])

    @pytest.mark.parametrize(
        "render",
        [
            checklist_cards,
            summary_card,
            questionnaire_response,
            response_json,
            *(f.renderer_function() for f in EXPORT_FORMATS),
        ],
        ids=[
            "cards",
            "summary card",
            "fhir response",
            "fhir response json",
            *(f.name for f in EXPORT_FORMATS),
        ],
    )
    def test_every_renderer_takes_the_checklist_and_only_its_own_options(
        self, render: object
    ) -> None:
        assert callable(render)
        parameters = list(inspect.signature(render).parameters.values())
        assert parameters[0].annotation in ("Checklist", "checklist: Checklist")
        assert all(p.kind is p.KEYWORD_ONLY or p.default is not p.empty for p in parameters[1:])
        assert not {"pack", "answers"} & {p.name for p in parameters}


class TestTheAuditCarriesItsNames:
    """The Audit page names each rule and item from the audit, not from the pack."""

    def test_an_answers_table_s_audit_names_its_rules_and_items(self, mini_pack: RulePack) -> None:

        table = read_table_bytes(csv_text(ROWS).encode(), "a.csv", mini_pack)
        audit = audit_result(run_batch(mini_pack, table))
        rule = next(r for r in audit.rules if r.rule_id == "setting-monitoring")
        assert (rule.headline, rule.kind) == ("Arrange monitoring", "arrange")
        assert next(i for i in audit.items if i.item_id == "monitoring").label == "monitoring"

    def test_a_results_table_is_named_by_the_pack_in_use_and_its_json_is_the_counts_alone(
        self, mini_pack: RulePack
    ) -> None:

        table = read_table_bytes(csv_text(ROWS).encode(), "a.csv", mini_pack)
        counted = audit_results_table(results_table(run_batch(mini_pack, table)), "r.parquet")
        assert {r.headline for r in counted.rules} == {""}
        named = audit_named(counted, mini_pack)
        assert {r.headline for r in named.rules} == {r.headline for r in mini_pack.rules}
        rows = json.loads(audit_json(named))["rules"]
        assert set(rows[0]) == {"rule_id", "raised", "open", "not_raised"}
