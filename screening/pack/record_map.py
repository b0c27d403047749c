"""rules/record.yaml: which coded data in a patient's record answers which item, reviewed as data.

Each match names an item of the pack, the FHIR resource types it reads and the codes (RxNorm,
SNOMED CT, ICD-10, LOINC) that count, each code saying where it was checked or "not
verified". A match can only ever answer Yes ("Yes, from the record"); a record without the
code leaves the item unanswered, never No. The file also lists what makes an order a
ketamine or esketamine order for the order-select service. It is validated whole, like the
rest of the pack, and a problem names its file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml.comments import CommentedMap

from screening.catalogue import N_, Said
from screening.errors import PackError, Problem
from screening.limits import MAX_PACK_FILE_BYTES
from screening.models import RulePack
from screening.pack.files import YamlFile
from screening.pack.yaml_files import line_of, validate_plain, validate_yaml
from screening.reading import ReadError, read_bounded

RECORD_FILE = "record.yaml"

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
CodeSystemUri = Literal[
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://snomed.info/sct",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10",
    "http://loinc.org",
]
MEDICATIONS = ("MedicationStatement", "MedicationRequest")
ResourceType = Literal[
    "Condition", "AllergyIntolerance", "MedicationStatement", "MedicationRequest", "Observation"
]
NOT_VERIFIED = "not verified"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordCode(_Strict):
    """One code that counts, with where it was checked (or exactly "not verified")."""

    system: CodeSystemUri
    code: str = Field(min_length=1, max_length=40, pattern=r"^\S+$")
    display: str = Field(min_length=1, max_length=200)
    verified: str = Field(
        min_length=1,
        max_length=300,
        description="Where the code was checked (a value set name or OID, a code list), or "
        '"not verified".',
    )
    prefix: bool = Field(
        default=False,
        description="ICD-10 only: every code under this one counts (F20 covers F20.0 ...).",
    )


class Threshold(_Strict):
    """An Observation counts when its value (or a component's) is above this, in this unit."""

    above: float
    unit: Literal["mm[Hg]"]
    citation: str = Field(min_length=1, max_length=300)


class RecordMatch(_Strict):
    """Coded data that answers one item Yes; nothing else ever answers it from the record."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    item: str
    answer: Literal["yes"]
    resources: list[ResourceType] = Field(min_length=1)
    codes: list[RecordCode] = Field(min_length=1, max_length=200)
    value_set: str | None = Field(
        default=None, max_length=300, description="The value set the codes come from, if any."
    )
    threshold: Threshold | None = None
    for_at_least_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Medications only: counts when started at least this many days ago.",
    )
    note: str | None = Field(default=None, max_length=500)


class KetamineOrders(_Strict):
    """What makes a draft order a ketamine or esketamine order (order-select)."""

    codes: list[RecordCode] = Field(min_length=1)
    brand_names: list[str] = Field(default_factory=list)


class RecordMap(_Strict):
    orders: KetamineOrders
    matches: list[RecordMatch]


class RecordFile(YamlFile):
    """record.yaml: the mapping from coded record data to item answers."""

    record: RecordMap


@dataclass(frozen=True)
class CodeIndex:
    """Each match's codes by (system, code), and its ICD-10 prefixes, for quick lookup."""

    exact: Mapping[tuple[str, str], tuple[RecordMatch, ...]]
    prefixes: tuple[tuple[str, str, RecordMatch], ...]


def _cross_problems(
    doc: CommentedMap, record: RecordMap, shown: str, item_ids: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    raw_matches = doc["record"]["matches"]
    seen: set[str] = set()
    for n, match in enumerate(record.matches):
        line = line_of(raw_matches[n])

        def add(message: str, line: int | None = line, ref: str = match.id, **values: str) -> None:
            problems.append(Problem(shown, Said(message, **values), line, ref))

        if match.id in seen:
            add(N_("this match id is used twice"))
        seen.add(match.id)
        if match.item not in item_ids:
            add(
                N_("item: {item} is not an item of this pack (rules/items.yaml)"),
                item=repr(match.item),
            )
        observes = "Observation" in match.resources
        if observes and (match.threshold is None or match.resources != ["Observation"]):
            add(N_("an Observation match reads Observations only and needs a threshold"))
        if not observes and match.threshold is not None:
            add(N_("threshold: only an Observation match has one"))
        if match.for_at_least_days is not None and not set(match.resources) <= set(MEDICATIONS):
            add(N_("for_at_least_days: only a medication match has one"))
        for code in match.codes:
            if code.prefix and code.system not in (ICD10, ICD10CM):
                add(N_("codes: {code}: prefix is for ICD-10 codes only"), code=code.code)
        keys = [(c.system, c.code) for c in match.codes]
        if len(set(keys)) != len(keys):
            add(N_("codes: a code is listed twice"))
    return problems


def record_problems(
    data: bytes, shown: str, item_ids: set[str], *, fast: bool = False
) -> tuple[RecordMap | None, list[Problem]]:
    """Validate record.yaml against its model and the pack's items; every problem, located.

    `fast`: read by `validate_plain`, which raises `NeedsPositions` for the loader to read
    the pack again with positions at any doubt; problems found so carry no line."""
    problems: list[Problem] = []
    parsed = (
        validate_plain(data, RecordFile)
        if fast
        else validate_yaml(data, shown, RecordFile, problems)
    )
    if parsed is None:
        return None, problems
    doc, model = parsed
    problems += _cross_problems(doc, model.record, shown, item_ids)
    return (None if problems else model.record), problems


def load_record_map(folder: Path | str, pack: RulePack) -> RecordMap | None:
    """The pack folder's record.yaml, or None when it has none; `PackError` if it is wrong."""
    path = Path(folder) / RECORD_FILE
    if not path.exists():
        return None
    try:
        data = read_bounded(path, MAX_PACK_FILE_BYTES, str(path))
    except ReadError as exc:
        raise PackError(exc.problems) from None
    record, problems = record_problems(data, str(path), {i.id for i in pack.items})
    if problems or record is None:
        raise PackError(problems)
    return record


def code_index(matches: list[RecordMatch]) -> CodeIndex:
    exact: dict[tuple[str, str], list[RecordMatch]] = {}
    prefixes: list[tuple[str, str, RecordMatch]] = []
    for match in matches:
        for code in match.codes:
            exact.setdefault((code.system, code.code), []).append(match)
            if code.prefix:
                prefixes.append((code.system, code.code, match))
    return CodeIndex({k: tuple(v) for k, v in exact.items()}, tuple(prefixes))
