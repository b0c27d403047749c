"""The patient reference warns when it looks like an identifier; a local reference does not."""

from __future__ import annotations

import pytest

from screening.identifiers import identifier_hints


class TestIdentifierHints:
    """Typed text that looks like a date of birth, record number, phone or e-mail is named."""

    @pytest.mark.parametrize(
        ("typed", "hint"),
        [
            ("jane.doe@example.org", "an e-mail address"),
            ("DOB 12/03/1961", "a date, such as a date of birth"),
            ("12.03.61", "a date, such as a date of birth"),
            ("1961-03-12", "a date, such as a date of birth"),
            ("born in spring", "a date, such as a date of birth"),
            ("+44 20 7946 0958", "a phone number"),
            ("07700 900123", "a phone number"),
            ("(01632) 960 001", "a phone number"),
            ("MRN 55", "a record or health number"),
            ("NHS 943 476 5919", "a record or health number"),
            ("bed 4 / 00123456", "a record or health number"),
        ],
    )
    def test_text_that_looks_like_an_identifier_is_named(self, typed: str, hint: str) -> None:
        assert hint in identifier_hints(typed)

    @pytest.mark.parametrize(
        "typed", ["", "ZQ-4711", "A-12", "Clinic 3, visit 2", "pain clinic room 14", "Ward B"]
    )
    def test_a_local_reference_raises_no_hint(self, typed: str) -> None:
        assert identifier_hints(typed) == []

    def test_line_breaks_and_runs_of_spaces_do_not_hide_a_number(self) -> None:
        assert "a phone number" in identifier_hints("+44\n20  7946\t0958")
