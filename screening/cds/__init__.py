"""CDS Hooks: the checklist as cards inside an EHR (cards are pure, the service is Starlette)."""
