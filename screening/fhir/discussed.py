"""The project's extension that carries the points a clinician marked discussed (the rule,
done, an optional note) in a QuestionnaireResponse, its StructureDefinition, and reading it
back. Other extensions are not read."""

from __future__ import annotations

from typing import Any

from screening.catalogue import N_, SOURCE_LANGUAGE, Said, _, active_language
from screening.errors import Problem
from screening.fhir.questionnaire import DEFAULT_BASE, check_base
from screening.limits import MAX_ANSWERS
from screening.text import echo_json

DISCUSSED_EXTENSION = "discussed-point"
"""The last part of the project's extension's url: `BASE/StructureDefinition/discussed-point`."""

_echo = echo_json


def discussed_url(base: str = DEFAULT_BASE) -> str:
    return f"{check_base(base)}/StructureDefinition/{DISCUSSED_EXTENSION}"


def _part(name: str, kind: str, minimum: int, short: str) -> list[dict[str, Any]]:
    """The elements of one part (a sub-extension) of the discussed-point extension."""
    slice_id = f"Extension.extension:{name}"
    return [
        {
            "id": slice_id,
            "path": "Extension.extension",
            "sliceName": name,
            "short": _(short),
            "min": minimum,
            "max": "1",
        },
        {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": name},
        {
            "id": f"{slice_id}.value[x]",
            "path": "Extension.extension.value[x]",
            "min": 1,
            "type": [{"code": kind}],
        },
    ]


def discussed_structure_definition(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The StructureDefinition of the discussed-point extension, as a clinic publishes it."""
    url = discussed_url(base)
    definition: dict[str, Any] = {
        "resourceType": "StructureDefinition",
        "id": DISCUSSED_EXTENSION,
        "url": url,
        "name": "DiscussedPoint",
        "title": _("Discussed point of the discussion checklist"),
        "status": "draft",
        "description": _(
            "A point of the discussion checklist that the clinician marked: the rule that "
            "raised it, whether it was discussed, and an optional note. Not a verdict."
        ),
        "fhirVersion": "4.0.1",
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "QuestionnaireResponse"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Extension",
                    "path": "Extension",
                    "short": _("Discussed point"),
                    "definition": _("A marked point of the discussion checklist."),
                },
                {
                    "id": "Extension.extension",
                    "path": "Extension.extension",
                    "slicing": {
                        "discriminator": [{"type": "value", "path": "url"}],
                        "rules": "closed",
                    },
                },
                *_part("rule", "code", 1, N_("The id of the rule that raised the point")),
                *_part("done", "boolean", 1, N_("Whether the point was discussed")),
                *_part("note", "string", 0, N_("The clinician's note on the point")),
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
            ]
        },
    }
    if active_language() != SOURCE_LANGUAGE:  # an English definition stays as it always was
        definition["language"] = active_language()
    return definition


def read_discussed(
    data: dict[str, Any], source: str, problems: list[Problem]
) -> dict[str, dict[str, Any]]:
    """The marks carried by discussed-point extensions (whatever base they were published
    under); other extensions are not read. A mark without its rule or done is refused."""
    found: dict[str, dict[str, Any]] = {}
    extensions = data.get("extension", [])
    if not isinstance(extensions, list):
        problems.append(Problem(source, Said(N_("must be a list")), ref="extension"))
        return found
    where = f"extension({DISCUSSED_EXTENSION})"
    for extension in extensions[: MAX_ANSWERS + 1]:
        url = extension.get("url") if isinstance(extension, dict) else None
        if not isinstance(url, str) or not url.endswith(
            f"/StructureDefinition/{DISCUSSED_EXTENSION}"
        ):
            continue
        parts = extension.get("extension") if isinstance(extension, dict) else None
        values: dict[str, Any] = {}
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and part.get("url") in ("rule", "done", "note"):
                key = {"rule": "valueCode", "done": "valueBoolean", "note": "valueString"}[
                    part["url"]
                ]
                values[part["url"]] = part.get(key)
        rule, done = values.get("rule"), values.get("done")
        if not isinstance(rule, str) or not isinstance(done, bool):
            problems.append(
                Problem(
                    source,
                    Said(N_("a discussed point needs a rule (code) and done (boolean)")),
                    ref=where,
                )
            )
        elif rule in found:
            said = Said(N_("rule {rule} is marked twice"), rule=_echo(rule))
            problems.append(Problem(source, said, ref=where))
        else:
            note = values.get("note")
            found[rule] = {"done": done, **({"note": note} if note is not None else {})}
    return found
