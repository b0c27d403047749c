"""The services this CDS Hooks service offers, and its discovery document (its titles and
descriptions in the language of the render, `screening.catalogue`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.catalogue import N_, _
from screening.cds.prefetch import PREFETCH_KEY, prefetch_template, record_prefetch
from screening.fhir.questionnaire import DEFAULT_BASE
from screening.models import RulePack
from screening.pack.record_map import RecordMap
from screening.words import PRODUCT_TITLE


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
        PRODUCT_TITLE,
        N_(
            "Shows the points of the ketamine-for-pain discussion checklist raised by the "
            "patient's latest answers, one information card per point. Never a verdict."
        ),
    ),
    Service(
        "ketamine-checklist-order",
        "order-select",
        N_("Ketamine for pain: discussion checklist for a ketamine order"),
        N_(
            "When a ketamine or esketamine order is selected, shows the points of the "
            "discussion checklist raised by the patient's latest answers. Never a verdict."
        ),
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
                "title": _(s.title),
                "description": _(s.description),
                "prefetch": prefetch,
            }
            for s in SERVICES
        ]
    }
