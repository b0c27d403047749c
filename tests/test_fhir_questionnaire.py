"""The pack's form as a FHIR R4 Questionnaire: valid, the same questions, the same follow-ups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.questionnaire import Questionnaire

from screening import RulePack, load_pack
from screening.cli import cli
from screening.fhir.questionnaire import (
    DISABLED_DISPLAY,
    ITEM_CONTROL,
    questionnaire,
    questionnaire_canonical,
)
from screening.logic import asked_states, condition_items
from tests.conftest import MINI_PACK, write_pack
from tests.fhir_helpers import (
    combinations,
    enabled,
    expression,
    follow_up_items,
    questions,
    response_for,
    run_fhirpath,
)

LOINC_YES_NO_UNKNOWN = [
    {"valueCoding": {"system": "http://loinc.org", "code": "LA33-6", "display": "Yes"}},
    {"valueCoding": {"system": "http://loinc.org", "code": "LA32-8", "display": "No"}},
    {"valueCoding": {"system": "http://loinc.org", "code": "LA4489-6", "display": "Unknown"}},
]

TANGLED_ITEMS = """\
items:
  - {id: a, section: "One", label: "a", question: "A?", help: "h", sources: [src-a]}
  - {id: b, section: "One", label: "b", question: "B?", help: "h", sources: [src-a]}
  - id: c
    section: "One"
    label: "c"
    question: "C?"
    help: "h"
    sources: [src-a]
    asked_if: {all: [{item: a, is: "yes"}, {item: b, is: ["no", "unknown"]}]}
  - id: d
    section: "Two"
    label: "d"
    question: "D?"
    help: "h"
    sources: [src-a]
    asked_if: {any: [{item: c, is: "yes"}, {not: {item: b, is: "yes"}}]}
  - {id: e, section: "Two", label: "e", question: "E?", help: "h", sources: [src-a],
     asked_if: {item: d, is: "no"}}
  - {id: f, section: "Two", label: "f", question: "F?", help: "h", sources: [src-a],
     asked_if: {not: {item: a, is: "no"}}}
  - {id: g, section: "Two", label: "g", question: "G?", help: "h", sources: [src-a],
     asked_if: {any: [{item: a, is: "yes"}, {item: b, is: "no"}]}}
"""
TANGLED_RULES = """\
rules:
  - id: r-c
    section: "One"
    kind: discuss
    when: {item: c, is: "yes"}
    summary: "Discuss c."
    text: "Discuss c."
    rationale: "Because."
    sources: [src-a]
  - id: r-e
    section: "Two"
    kind: verify
    when: {any: [{item: e, is: "yes"}, {item: f, is: "yes"}, {item: g, is: "yes"}]}
    summary: "Verify e."
    text: "Verify e."
    rationale: "Because."
    sources: [src-a]
"""


@pytest.fixture(scope="module")
def tangled_pack(tmp_path_factory: pytest.TempPathFactory) -> RulePack:
    """Follow-ups of follow-ups, `all`, `any` and `not`: what core enableWhen cannot say."""
    folder = tmp_path_factory.mktemp("tangled")
    return load_pack(
        write_pack(folder, {"items.yaml": TANGLED_ITEMS, "rules-main.yaml": TANGLED_RULES})
    )


def renderer_shows(pack: RulePack, form: dict[str, Any], given: dict[str, Any]) -> set[str]:
    """The items a renderer shows: a hidden item's answer is dropped, until nothing changes."""
    items = questions(form)
    kept = dict(given)
    while True:
        shown = {i for i, item in items.items() if enabled(item, kept)}
        dropped = {i: a for i, a in kept.items() if i in shown}
        if dropped == kept:
            return shown
        kept = dropped


def follow_up_families(pack: RulePack) -> list[list[str]]:
    """Follow-ups grouped with the items their conditions read, transitively: families do
    not affect each other, so each is tried in full without trying every family at once."""
    families: list[set[str]] = []
    for item in pack.items:
        if item.asked_if is not None:
            family = {item.id, *condition_items(item.asked_if)}
            joined = [f for f in families if f & family]
            for f in joined:
                families.remove(f)
                family |= f
            families.append(family)
    return [[i.id for i in pack.items if i.id in family] for family in families]


class TestShape:
    """One group per section and one Yes / No / Unknown choice per item, nothing required."""

    def test_the_shipped_questionnaire_is_valid_fhir(self, shipped_pack: RulePack) -> None:
        Questionnaire.model_validate(questionnaire(shipped_pack))

    def test_a_questionnaire_with_expressions_is_valid_fhir(self, tangled_pack: RulePack) -> None:
        Questionnaire.model_validate(questionnaire(tangled_pack))

    def test_it_names_the_pack_by_url_version_title_and_date(self, shipped_pack: RulePack) -> None:
        form = questionnaire(shipped_pack, "https://fhir.clinic.example/r4")
        meta = shipped_pack.meta
        assert form["url"] == (
            "https://fhir.clinic.example/r4/Questionnaire/"
            "ketamine-for-pain-pre-treatment-discussion-checklist"
        )
        assert (form["version"], form["title"], form["date"]) == (
            meta.version,
            meta.name,
            meta.date,
        )
        assert questionnaire_canonical(shipped_pack) == (
            "http://example.org/fhir/Questionnaire/"
            f"ketamine-for-pain-pre-treatment-discussion-checklist|{meta.version}"
        )

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("draft", "draft"),
            ("in_review", "draft"),
            ("approved", "active"),
            ("retired", "retired"),
        ],
    )
    def test_only_an_approved_pack_is_an_active_questionnaire(
        self, tmp_path: Path, status: str, expected: str
    ) -> None:
        pack_yaml = MINI_PACK["pack.yaml"].replace("status: draft", f"status: {status}")
        pack = load_pack(write_pack(tmp_path / "p", {"pack.yaml": pack_yaml}))
        assert questionnaire(pack)["status"] == expected

    def test_sections_are_groups_in_form_order(self, shipped_pack: RulePack) -> None:
        groups = questionnaire(shipped_pack)["item"]
        assert [g["text"] for g in groups] == list(shipped_pack.sections)
        assert {g["type"] for g in groups} == {"group"}
        in_groups = [q["linkId"] for g in groups for q in g["item"]]
        assert in_groups == [i.id for i in shipped_pack.items]

    def test_each_item_is_an_optional_choice_of_loinc_yes_no_unknown(
        self, shipped_pack: RulePack
    ) -> None:
        for item in shipped_pack.items:
            q = questions(questionnaire(shipped_pack))[item.id]
            assert (q["type"], q["text"], q["required"], q["repeats"]) == (
                "choice",
                item.question,
                False,
                False,
            )
            assert q["answerOption"] == LOINC_YES_NO_UNKNOWN
            assert "initial" not in q
            assert q["code"] == [
                {
                    "system": "http://example.org/fhir/CodeSystem/"
                    "ketamine-for-pain-pre-treatment-discussion-checklist-items",
                    "code": item.id,
                    "display": item.label,
                }
            ]

    def test_help_is_a_display_child_with_the_flyover_control(self, shipped_pack: RulePack) -> None:
        q = questions(questionnaire(shipped_pack))["substance_use_history"]
        (child,) = q["item"]
        assert child["type"] == "display"
        assert child["text"] == shipped_pack.item("substance_use_history").help
        assert child["extension"][0]["url"] == ITEM_CONTROL
        assert child["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "flyover"

    def test_the_item_code_system_is_published_and_names_every_item(
        self, shipped_pack: RulePack
    ) -> None:
        result = CliRunner().invoke(cli, ["fhir", "codesystem"])
        assert result.exit_code == 0, result.output
        system = CodeSystem.model_validate(json.loads(result.output))
        assert system.url == (
            "http://example.org/fhir/CodeSystem/"
            "ketamine-for-pain-pre-treatment-discussion-checklist-items"
        )
        assert [(c.code, c.display) for c in system.concept or []] == [
            (i.id, i.label) for i in shipped_pack.items
        ]
        codes = {
            c["code"]
            for q in questions(questionnaire(shipped_pack)).values()
            for c in q["code"]
            if c["system"] == system.url
        }
        assert codes == {i.id for i in shipped_pack.items}

    def test_the_same_pack_gives_the_same_bytes(self, shipped_pack: RulePack) -> None:
        assert json.dumps(questionnaire(shipped_pack)) == json.dumps(questionnaire(shipped_pack))


class TestFollowUps:
    """A follow-up is shown while its parent is Yes, Unknown or blank, as on the web form."""

    def test_a_simple_follow_up_uses_core_enable_when(self, shipped_pack: RulePack) -> None:
        q = questions(questionnaire(shipped_pack))["substance_use_active"]
        assert q["enableBehavior"] == "any"
        assert q["enableWhen"] == [
            {
                "question": "substance_use_history",
                "operator": "=",
                "answerCoding": LOINC_YES_NO_UNKNOWN[0]["valueCoding"],
            },
            {
                "question": "substance_use_history",
                "operator": "=",
                "answerCoding": LOINC_YES_NO_UNKNOWN[2]["valueCoding"],
            },
            {"question": "substance_use_history", "operator": "exists", "answerBoolean": False},
        ]
        assert {"url": DISABLED_DISPLAY, "valueCode": "hidden"} in q["extension"]
        assert expression(q) is None

    def test_what_enable_when_cannot_say_becomes_an_expression(
        self, tangled_pack: RulePack
    ) -> None:
        items = questions(questionnaire(tangled_pack))
        with_expression = {i for i, q in items.items() if expression(q) is not None}
        with_enable_when = {i for i, q in items.items() if "enableWhen" in q}
        assert with_expression == {"c", "d", "e"}
        assert with_enable_when == {"f", "g"}

    def test_the_shipped_follow_ups_match_the_engine_for_every_answer(
        self, shipped_pack: RulePack
    ) -> None:
        form = questionnaire(shipped_pack)
        ids = follow_up_items(shipped_pack)
        assert len(ids) >= 4
        for family in follow_up_families(shipped_pack):
            for given in combinations(family):
                assert renderer_shows(shipped_pack, form, given) == set(
                    asked_states(shipped_pack, given)
                ), given

    def test_every_enable_when_expression_matches_the_engine_for_every_answer(
        self, tangled_pack: RulePack
    ) -> None:
        form = questionnaire(tangled_pack)
        items = questions(form)
        for given in combinations(["a", "b", "c", "d"]):
            asked = asked_states(tangled_pack, given)
            for item_id, q in items.items():
                # Answers to hidden questions are in this response: the expression ignores them.
                assert enabled(q, given) == (item_id in asked) or expression(q) is None, (
                    item_id,
                    given,
                )
            assert renderer_shows(tangled_pack, form, given) == set(asked), given

    def test_hiding_cascades_a_hidden_parent_hides_its_follow_up(
        self, tangled_pack: RulePack
    ) -> None:
        e = questions(questionnaire(tangled_pack))["e"]
        # d answered No would show e, but b = Yes and c hidden hide d, so e is hidden too.
        assert enabled(e, {"a": "no", "b": "yes", "d": "no"}) is False
        assert enabled(e, {"a": "yes", "b": "no", "c": "yes", "d": "no"}) is True

    def test_an_open_parent_keeps_the_follow_up_shown(self, tangled_pack: RulePack) -> None:
        c = questions(questionnaire(tangled_pack))["c"]
        assert enabled(c, {"a": "unknown", "b": "yes"}) is False
        assert enabled(c, {"a": "unknown"}) is True

    def test_an_expression_is_three_valued_fhirpath(self, tangled_pack: RulePack) -> None:
        text = expression(questions(questionnaire(tangled_pack))["c"])
        assert text is not None
        assert text.endswith(".allTrue()")
        inner = text.removesuffix(".allTrue()")
        assert run_fhirpath(inner, response_for({"a": "yes"})) == []
        assert run_fhirpath(inner, response_for({"a": "yes", "b": "no"})) == [True]
        assert run_fhirpath(inner, response_for({"a": "no"})) == [False]


class TestCommand:
    """`fhir questionnaire` prints the Questionnaire; a bad --base is a usage error."""

    def test_it_prints_the_questionnaire_of_the_pack(self, mini_dir: Path) -> None:
        result = CliRunner().invoke(
            cli, ["fhir", "questionnaire", "--rules", str(mini_dir), "--base", "https://x.test/f/"]
        )
        assert result.exit_code == 0, result.output
        form = json.loads(result.output)
        Questionnaire.model_validate(form)
        assert form["url"] == "https://x.test/f/Questionnaire/mini-pack"

    @pytest.mark.parametrize("base", ["not a url", "ftp://x.test", "https://x.test/f?q=1", ""])
    def test_a_base_that_is_not_a_web_address_is_refused(self, base: str) -> None:
        result = CliRunner().invoke(cli, ["fhir", "questionnaire", "--base", base])
        assert result.exit_code == 2
        assert "Invalid value for '--base': must be an absolute http(s) address" in result.output
