"""The pack's form as an R4 Questionnaire (SDC), so an EHR's renderer shows the same questions.

One group per section, one Yes / No / Unknown `choice` per item, nothing required (blank
means not assessed). A follow-up is shown while its `asked_if` may hold, as on the web form:
as core `enableWhen` where that can say it, else as an SDC `enableWhenExpression` in
three-valued FHIRPath that mirrors the engine, hiding cascades included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from screening.algebra import ANSWER_ROWS, Path, Tri, Walk, fold, leaf_value
from screening.catalogue import SOURCE_LANGUAGE, _, active_language
from screening.language import DISCLAIMER
from screening.markdown import md_escape
from screening.models import ANSWERS, AllOf, Answer, AnyOf, Condition, Item, ItemIs, NotOf, RulePack
from screening.words import by_section

DEFAULT_BASE = "http://example.org/fhir"
"""Placeholder canonical base; a clinic publishes the Questionnaire under its own (`--base`)."""

LOINC = "http://loinc.org"
ANSWER_LIST = "LL2817-6"
"""LOINC's Yes / No / Unknown answer list; LL2828-3 is Yes / No only and would lose Unknown."""

ANSWER_CODINGS: Mapping[Answer, Mapping[str, str]] = {
    answer: {"system": LOINC, "code": str(row.loinc), "display": str(row.loinc_display)}
    for answer, row in zip(ANSWERS, ANSWER_ROWS, strict=True)
}
"""Each answer's LOINC coding, from `algebra.ANSWER_TABLE`."""
CODE_ANSWERS: Mapping[str, Answer] = {c["code"]: a for a, c in ANSWER_CODINGS.items()}

STATUS: Mapping[str, str] = {
    "draft": "draft",
    "in_review": "draft",
    "approved": "active",
    "retired": "retired",
}
"""Pack status to Questionnaire status: only an approved pack is an active form."""

ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
DISABLED_DISPLAY = "http://hl7.org/fhir/StructureDefinition/questionnaire-disabledDisplay"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"

HELP_CONTROL = "flyover"
"""The item control of each question's guidance: `flyover` is shown by LHC-Forms and Smart
Forms alike (Smart Forms does not show `help`)."""

_BASE = re.compile(r"https?://[^\s|#?]+")


def check_base(base: str) -> str:
    """A canonical base: an absolute http(s) address with no `|`, query or fragment."""
    if not _BASE.fullmatch(base):
        raise ValueError(
            _(
                "must be an absolute http(s) address with no spaces, '|', '?' or '#', such as "
                "{example}"
            ).format(example="https://fhir.example.org/fhir")
        )
    return base.rstrip("/")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def questionnaire_id(pack: RulePack) -> str:
    """The Questionnaire's id and the last part of its url, from the pack's name."""
    return questionnaire_id_of(pack.meta.name)


@lru_cache(maxsize=64)
def questionnaire_id_of(pack_name: str) -> str:
    """`questionnaire_id` from the pack's name alone, as a checklist carries it (kept: every
    CDS call and card names it)."""
    return _slug(pack_name)[:64].strip("-") or "screening-checklist"


def questionnaire_url(pack: RulePack, base: str = DEFAULT_BASE) -> str:
    return f"{check_base(base)}/Questionnaire/{questionnaire_id(pack)}"


def questionnaire_canonical(pack: RulePack, base: str = DEFAULT_BASE) -> str:
    """`url|version`, as a QuestionnaireResponse names the questionnaire it answers."""
    return canonical_of(pack.meta.name, pack.meta.version, base)


def canonical_of(pack_name: str, version: str, base: str = DEFAULT_BASE) -> str:
    """`questionnaire_canonical` from the pack's name and version, as a checklist carries them."""
    return f"{check_base(base)}/Questionnaire/{questionnaire_id_of(pack_name)}|{version}"


def item_code_system(pack: RulePack, base: str = DEFAULT_BASE) -> str:
    """The CodeSystem of the pack's items: each item id is a code."""
    return f"{check_base(base)}/CodeSystem/{questionnaire_id(pack)}-items"


def section_link_id(section: str) -> str:
    """A group's linkId; the dot keeps it apart from every item id."""
    return f"section.{_slug(section)}"


def _computable_name(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else f"Q{name}"


def questionnaire(pack: RulePack, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The R4 Questionnaire for a pack, as JSON-ready data; the same pack gives the same data."""
    meta = pack.meta
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(pack),
        "url": questionnaire_url(pack, base),
        "version": meta.version,
        "name": _computable_name(meta.name),
        "title": meta.name,
        "status": STATUS[meta.status],
    }
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.date):
        resource["date"] = meta.date
    resource["description"] = "\n\n".join(
        md_escape(text) for text in (meta.description, _(DISCLAIMER)) if text
    )
    if active_language() != SOURCE_LANGUAGE:  # an English form stays as it always was
        resource["language"] = active_language()
    resource["subjectType"] = ["Patient"]
    resource["item"] = [
        {
            "linkId": section_link_id(section),
            "text": section,
            "type": "group",
            "item": [_question(pack, item, base) for item in items],
        }
        for section, items in by_section(pack.items, lambda i: i.section).items()
    ]
    return resource


def questionnaire_json(pack: RulePack, base: str = DEFAULT_BASE) -> str:
    """The Questionnaire as JSON text: the same pack gives the same bytes."""
    return json.dumps(questionnaire(pack, base), indent=2, ensure_ascii=False) + "\n"


def _coding_concept(code: str) -> dict[str, Any]:
    return {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]}


def _question(pack: RulePack, item: Item, base: str) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = [
        {"url": ITEM_CONTROL, "valueCodeableConcept": _coding_concept("radio-button")}
    ]
    question: dict[str, Any] = {
        "extension": extensions,
        "linkId": item.id,
        "code": [{"system": item_code_system(pack, base), "code": item.id, "display": item.label}],
        "text": item.question,
        "type": "choice",
    }
    if item.asked_if is not None:
        extensions.append({"url": DISABLED_DISPLAY, "valueCode": "hidden"})
        enabling = _enabling_answers(pack, item.asked_if)
        if enabling is None:
            extensions.append(
                {
                    "url": ENABLE_WHEN_EXPRESSION,
                    "valueExpression": {
                        "language": "text/fhirpath",
                        "expression": enable_when_expression(pack, item.asked_if),
                    },
                }
            )
        else:
            question["enableWhen"] = [
                clause
                for parent, answers in enabling.items()
                for clause in (
                    *(
                        {"question": parent, "operator": "=", "answerCoding": ANSWER_CODINGS[a]}
                        for a in answers
                    ),
                    {"question": parent, "operator": "exists", "answerBoolean": False},
                )
            ]
            question["enableBehavior"] = "any"
    question["required"] = False
    question["repeats"] = False
    question["answerOption"] = [{"valueCoding": dict(c)} for c in ANSWER_CODINGS.values()]
    question["item"] = [
        {
            "extension": [
                {"url": ITEM_CONTROL, "valueCodeableConcept": _coding_concept(HELP_CONTROL)}
            ],
            "linkId": f"{item.id}.help",
            "text": item.help,
            "type": "display",
        }
    ]
    return question


def _enabling_answers(pack: RulePack, condition: Condition) -> dict[str, list[Answer]] | None:
    """The parent answers that keep a follow-up shown, when core `enableWhen` can say it.

    A follow-up is shown unless its condition is false. For a leaf (or `not` of a leaf) on a
    question that is always asked, that is "the parent has one of these answers, or none",
    and an `any` of such leaves is the union. Anything else needs FHIRPath; so does a parent
    that is itself a follow-up, since a hidden parent has no answer yet must read as false.
    """
    parts = condition.any if isinstance(condition, AnyOf) else [condition]
    enabling: dict[str, list[Answer]] = {}
    for part in parts:
        leaf, negated = (part.not_, True) if isinstance(part, NotOf) else (part, False)
        if not isinstance(leaf, ItemIs) or pack.item(leaf.item).asked_if is not None:
            return None
        if negated:  # false exactly when the answer is one of the values
            keep = [a for a in ANSWER_CODINGS if a not in leaf.values]
        else:  # false only for a known answer outside the values; Unknown leaves it open
            keep = [a for a in ANSWER_CODINGS if leaf_value(leaf.values, a) is not Tri.FALSE]
        known = enabling.setdefault(leaf.item, [])
        known += [a for a in keep if a not in known]
    return {p: [a for a in ANSWER_CODINGS if a in answers] for p, answers in enabling.items()}


def _answer_code(item_id: str) -> str:
    return f"%resource.repeat(item).where(linkId='{item_id}').answer.value.code"


def _codes(answers: tuple[Answer, ...] | list[Answer]) -> str:
    return " | ".join(f"'{ANSWER_CODINGS[a]['code']}'" for a in answers)


class _FhirPath(Walk[str]):
    """`condition_fhirpath` as a fold over the condition."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack

    def leaf(self, node: ItemIs, path: Path) -> str:
        code = _answer_code(node.item)
        # Open: no answer (not assessed), or an answer that opens a leaf not naming it.
        open_test = " or ".join(
            [
                f"{code}.empty()",
                *(
                    f"{code} = '{r.loinc}'"
                    for r in ANSWER_ROWS
                    if leaf_value(node.values, r.value) is Tri.OPEN
                ),
            ]
        )
        leaf = f"iif({code} in ({_codes(node.values)}), true, iif({open_test}, {{}}, false))"
        parent = self.pack.item(node.item).asked_if
        if parent is None:
            return leaf
        return f"iif({enable_when_expression(self.pack, parent)}, {leaf}, false)"

    def not_(self, node: NotOf, part: str) -> str:
        return f"({part}).not()"

    def all(self, node: AllOf, parts: list[str]) -> str:
        return " and ".join(f"({part})" for part in parts)

    def any(self, node: AnyOf, parts: list[str]) -> str:
        return " or ".join(f"({part})" for part in parts)


def condition_fhirpath(pack: RulePack, condition: Condition) -> str:
    """A condition as three-valued FHIRPath over `%resource`: true, false, or `{}` when open.

    FHIRPath's `and`, `or` and `not()` treat `{}` as unknown exactly as the engine's Kleene
    logic treats an open part. A leaf on a follow-up is false while that follow-up is hidden.
    """
    return fold(condition, _FhirPath(pack))


def enable_when_expression(pack: RulePack, asked_if: Condition) -> str:
    """Boolean FHIRPath: shown unless `asked_if` is false (open counts as shown, as in the app)."""
    return f"({condition_fhirpath(pack, asked_if)}).allTrue()"


def item_codes(pack: RulePack, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The CodeSystem the Questionnaire's item codes come from, for a terminology server: one
    concept per item (code = item id, display = its label, definition = its question)."""
    meta = pack.meta
    return {
        "resourceType": "CodeSystem",
        "id": f"{questionnaire_id(pack)}-items",
        "url": item_code_system(pack, base),
        "version": meta.version,
        "name": _computable_name(meta.name) + "Items",
        "title": _("{name}: questions").format(name=meta.name),
        "status": STATUS[meta.status],
        "description": _("The questions of the discussion checklist, by their stable item ids."),
        "caseSensitive": True,
        "content": "complete",
        "count": len(pack.items),
        "concept": [
            {"code": item.id, "display": item.label, "definition": item.question}
            for item in pack.items
        ],
    }
