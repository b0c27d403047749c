"""The copy of a screening kept for a reload: in memory, behind a token, taken once, expiring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app_pages.form import recovery
from app_pages.guard import typed_field
from screening import FREE_TEXT_MAX_LENGTH, NOTE_MAX_LENGTH


@pytest.fixture(autouse=True)
def empty_store() -> Iterator[None]:
    """Each test starts and ends with nothing kept (the store is the process's)."""
    recovery._STORE.clear()
    yield
    recovery._STORE.clear()


MEMORY = {"answer__history": "yes", "note__held__r1": "A note"}


class TestTheRecoveryStore:
    def test_a_kept_form_is_taken_back_whole_with_its_view_and_removed_answers(self) -> None:
        recovery.keep("t1", MEMORY, {"active": "no"}, "checklist", now=100.0)
        kept = recovery.take("t1", now=101.0)
        assert kept is not None
        assert (dict(kept.memory), dict(kept.dropped), kept.view) == (
            MEMORY,
            {"active": "no"},
            "checklist",
        )

    def test_a_token_restores_at_most_once(self) -> None:
        recovery.keep("t1", MEMORY, {}, "form", now=100.0)
        assert recovery.take("t1", now=101.0) is not None
        assert recovery.take("t1", now=102.0) is None

    def test_an_unknown_token_gets_nothing(self) -> None:
        recovery.keep("t1", MEMORY, {}, "form", now=100.0)
        assert recovery.take("t2", now=101.0) is None
        assert recovery.take("", now=101.0) is None

    def test_a_copy_idle_for_the_limit_is_gone_and_one_just_under_it_is_kept(self) -> None:
        recovery.keep("old", MEMORY, {}, "form", now=0.0)
        recovery.keep("new", MEMORY, {}, "form", now=1.0)
        limit = recovery.IDLE_SECONDS
        assert recovery.take("new", now=limit + 0.5) is not None
        assert recovery.take("old", now=limit + 0.5) is None

    def test_keeping_again_refreshes_the_idle_time_and_replaces_the_copy(self) -> None:
        recovery.keep("t1", {"answer__history": "no"}, {}, "form", now=0.0)
        recovery.keep("t1", MEMORY, {}, "form", now=recovery.IDLE_SECONDS - 1)
        kept = recovery.take("t1", now=recovery.IDLE_SECONDS + 1)
        assert kept is not None
        assert dict(kept.memory) == MEMORY

    def test_forget_drops_the_copy_at_once(self) -> None:
        recovery.keep("t1", MEMORY, {}, "form")
        recovery.forget("t1")
        assert recovery.take("t1") is None
        assert recovery.held() == 0

    def test_the_copy_is_not_changed_by_later_edits_to_the_session_s_memory(self) -> None:
        live = dict(MEMORY)
        recovery.keep("t1", live, {}, "form", now=0.0)
        live["answer__history"] = "no"
        kept = recovery.take("t1", now=1.0)
        assert kept is not None
        assert kept.memory["answer__history"] == "yes"

    def test_tokens_are_long_random_and_distinct(self) -> None:
        tokens = {recovery.new_token() for _ in range(1000)}
        assert len(tokens) == 1000
        assert min(len(t) for t in tokens) >= 43  # 32 random bytes, URL-safe base64


class TestTextTypedAndNotYetSent:
    """What the tab's guard sends of a field's unsent text is kept only for the fields it
    watches, and only as much as the field takes."""

    def test_a_note_and_the_clinician_are_kept_as_sent(self) -> None:
        assert typed_field("note__open__r1", "Asked the GP") == ("note__open__r1", "Asked the GP")
        assert typed_field("detail__clinician", "Dr A") == ("detail__clinician", "Dr A")

    def test_an_answer_the_date_or_an_unknown_key_is_never_taken(self) -> None:
        for key in ("answer__history", "detail__date", "screening__memory", "", None, 3):
            assert typed_field(key, "yes") is None

    def test_text_over_the_field_s_limit_or_not_text_is_refused(self) -> None:
        assert typed_field("note__held__r1", "x" * NOTE_MAX_LENGTH) is not None
        assert typed_field("note__held__r1", "x" * (NOTE_MAX_LENGTH + 1)) is None
        limit = FREE_TEXT_MAX_LENGTH
        assert typed_field("detail__patient_reference", "x" * (limit + 1)) is None
        assert typed_field("detail__clinician", ["Dr A"]) is None
