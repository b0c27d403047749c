"""The services this CDS Hooks service offers, and its discovery document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.cds.prefetch import PREFETCH_KEY, prefetch_template, record_prefetch
from screening.fhir.questionnaire import DEFAULT_BASE
from screening.models import RulePack
from screening.pack.record_map import RecordMap


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str


SERVICES = (
    Service(
        "ketamine-checklist",
        "patient-view",
        "Ketamine for pain: discussion checklist",
        "Shows the points of the ketamine-for-pain discussion checklist raised by the "
        "patient's latest answers, one information card per point. Never a verdict.",
    ),
    Service(
        "ketamine-checklist-order",
        "order-select",
        "Ketamine for pain: discussion checklist for a ketamine order",
        "When a ketamine or esketamine order is selected, shows the points of the discussion "
        "checklist raised by the patient's latest answers. Never a verdict.",
    ),
)


def discovery(
    pack: RulePack, base: str = DEFAULT_BASE, record: RecordMap | None = None
) -> dict[str, Any]:
    """The discovery document: one service per hook, both asking for the same prefetch."""
    prefetch = {PREFETCH_KEY: prefetch_template(pack, base), **record_prefetch(record)}
    return {
        "services": [
            {
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": prefetch,
            }
            for s in SERVICES
        ]
    }
