"""Every view shown in the pseudo-locale en-XA carries no English word of ours: each word the
program itself prints goes through the message catalogue (`screening.catalogue`).

The pack's own words (questions, rules, sources, statements, vignettes) stay as the pack wrote
them, so the check takes them out first: every string of the pack (and of the answers' free
text) is removed from the view, spaces and line breaks ignored, and any plain ASCII word left
is English of ours. Pseudo-locale words are all accented, so none of them passes for English.

Views converted so far, each checked below: the Markdown and JSON exports, the checklist PDF
(every page, and `verify` reads it back), the CDS cards, the review document (Markdown and
HTML), the vignettes' and coverage reports, the FHIR Questionnaire's and item CodeSystem's own
texts, the FHIR extension's definition, every CLI command's output with `--lang` (`check`,
`items`, `evaluate`, `rules`, `scenarios`, `verify`, `diff`, `batch`, `audit`, `impact`,
`schema`, the `fhir` commands, `cds serve`), its error frame and the refusals the commands
share, every `--help` page (tests/test_help.py), and the CDS service started in en-XA: its discovery document, cards, notes and refusals. The app's pages: tests/test_app_language.py. Not converted yet: `NOT_YET_CONVERTED`.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner, Result
from pypdf import PdfReader

from screening import cli
from screening.answers import read_answers_bytes
from screening.catalogue import PSEUDO_LANGUAGE, _, speaking, translations
from screening.cds import calls as calls_module
from screening.cds.cards import FromRecord, checklist_cards, summary_card
from screening.cds.discovery import SERVICES
from screening.cds.prefetch import RECORD_PREFETCH
from screening.cli.shared import lang_option
from screening.engine import evaluate
from screening.export import checklist_json, checklist_markdown
from screening.fhir.questionnaire import item_codes, questionnaire
from screening.models import AnswersFile, Checklist, RulePack
from screening.pack.loader import display_path, load_pack
from screening.pack.record_map import RecordMap, load_record_map
from screening.pack.scenarios import ScenarioResult, run_pack_scenarios
from screening.pdf import checklist_pdf
from screening.pdf.contract import TITLE
from screening.pdf.pages import check_pages
from screening.pdf.record import RECORD_NAME, read_record
from screening.pdf.verify import verify_pdf
from screening.pseudo_locale import pseudo, pseudo_po
from screening.review.report import review_html, review_markdown
from tests.conftest import REPOSITORY, csv_text, json_strings, write_pack
from tests.test_cds import (
    EHR,
    ORDER_SELECT,
    PATIENT_VIEW,
    SignedClient,
    bundle,
    call_body,
    ketamine_order,
    older,
    order_context,
    signed_client,
)
from tests.test_cds_fetch import (
    SERVER,
    THEOPHYLLINE,
    from_the_server,
    medication,
    stand_in_for,
)

NOT_YET_CONVERTED = ("the app: see tests/test_app_language.py's own list",)
"""Views that still print English of ours in en-XA: each is converted, then checked here."""

EXAMPLE = REPOSITORY / "examples" / "answers.json"
RULES = REPOSITORY / "rules"
_WORD = re.compile(r"[A-Za-z]{2,}")
_HEX = re.compile(r"\b[0-9a-f]{64}\b")
"""A sha256, printed as the program computed it."""
_LAYOUT = re.compile(r"[\s\\]")
"""What a view adds around text it prints: line breaks, spaces, Markdown's escapes."""
PROGRAM_NAMES = {"screening", "pdf", "doi", "https", "org"}
"""Names that are not words of any language: the program's, the file type in a command
(`FILE.pdf`), and the DOI scheme and address a DOI is printed and linked with
(`doi:10.1097/...`, `https://doi.org/...`)."""


def pack_strings(pack: RulePack, answers: AnswersFile, *more: Any) -> list[str]:
    """What a view may print as the pack and the user wrote it, longest first: every string
    of the pack (ids and codes too), the answers' free text; short strings (yes, no) left out,
    so that they cannot hide part of a word of ours."""
    free = [answers.patient_reference, answers.clinician, answers.date]
    content = [pack.model_dump(mode="json"), *more]
    found = {_fold(s) for s in [*json_strings(content), *filter(None, free)]}
    found.add(RECORD_NAME)  # the embedded file's name, as PDF readers list it
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def _fold(text: str) -> str:
    return _LAYOUT.sub("", text)


def english_left(text: str, allowed: list[str]) -> list[str]:
    """The plain ASCII words of `text` left once the pack's own strings are taken out, in
    order, once each; spaces and line breaks are ignored, as a view wraps text anywhere."""
    rest = _fold(_HEX.sub(" ", text))
    for written in allowed:
        rest = rest.replace(written, "\x00")
    found = _WORD.findall(rest)
    return list(dict.fromkeys(w for w in found if w.lower() not in PROGRAM_NAMES))


@pytest.fixture(scope="module")
def made(shipped_pack: RulePack) -> tuple[RulePack, AnswersFile, Checklist]:
    answers = read_answers_bytes(EXAMPLE.read_bytes(), "answers.json", shipped_pack)
    return shipped_pack, answers, evaluate(shipped_pack, answers, "answers.json")


@pytest.fixture(scope="module")
def allowed(made: tuple[RulePack, AnswersFile, Checklist]) -> list[str]:
    pack, answers, _ = made
    return pack_strings(pack, answers)


@pytest.fixture(scope="module")
def review_content(shipped_pack: RulePack) -> tuple[list[ScenarioResult], RecordMap | None]:
    return run_pack_scenarios(RULES, shipped_pack), load_record_map(RULES, shipped_pack)


@pytest.fixture(scope="module")
def review_allowed(
    made: tuple[RulePack, AnswersFile, Checklist],
    review_content: tuple[list[ScenarioResult], RecordMap | None],
) -> list[str]:
    """The pack's strings with its vignettes' and its record mapping's, which the review
    document prints as the committee wrote them."""
    results, record = review_content
    vignettes = [r.scenario.model_dump(mode="json") for r in results]
    mapping = record.model_dump(mode="json") if record else {}
    return pack_strings(made[0], made[1], vignettes, mapping)


@pytest.fixture(scope="module")
def pseudo_pdf(made: tuple[RulePack, AnswersFile, Checklist]) -> bytes:
    with speaking(PSEUDO_LANGUAGE):
        return checklist_pdf(made[2])


class TestTheCheckItself:
    """The check finds English that bypasses the catalogue, and the pack's words pass."""

    def test_an_english_word_of_ours_is_found_and_the_pack_words_pass(
        self, allowed: list[str]
    ) -> None:
        assert english_left("Because: liver disease = Ýééš", allowed) == [
            "Because",
            "liverdisease",
        ]
        assert english_left("Ɓééçååûûšéé: cohen-2018", allowed) == []

    def test_english_outside_the_catalogue_is_caught_in_a_real_view(
        self, made: tuple[RulePack, AnswersFile, Checklist], allowed: list[str]
    ) -> None:
        _pack, _answers, checklist = made
        with speaking("en"):
            assert "Because" in english_left(checklist_markdown(checklist), allowed)


class TestEveryViewInThePseudoLocale:
    """Markdown, JSON, PDF and the CLI's messages hold no English word of ours in en-XA."""

    def test_markdown(
        self, made: tuple[RulePack, AnswersFile, Checklist], allowed: list[str]
    ) -> None:
        with speaking(PSEUDO_LANGUAGE):
            assert english_left(checklist_markdown(made[2]), allowed) == []

    def test_json_words_while_its_keys_stay_the_public_shape(
        self, made: tuple[RulePack, AnswersFile, Checklist], allowed: list[str]
    ) -> None:
        checklist = made[2]
        with speaking(PSEUDO_LANGUAGE):
            data = json.loads(checklist_json(checklist))
        english = json.loads(checklist_json(checklist))
        assert data.keys() == english.keys()
        assert data["entries"][0].keys() == english["entries"][0].keys()
        # The fields that carry our words; the others hold codes (kind, state) and pack content
        ours = [data["disclaimer"], *(e["text"] for e in data["entries"])]
        assert english_left(" ".join(ours), allowed) == []

    def test_every_page_of_the_pdf(self, pseudo_pdf: bytes, allowed: list[str]) -> None:
        """The running head (pages 2 on) is left out: it shortens the pack's name to fit, and
        its words of ours are the title's and the reference label's, checked on page 1."""
        reader = PdfReader(io.BytesIO(pseudo_pdf))
        with speaking(PSEUDO_LANGUAGE):
            head = _(TITLE) + " ·"
        lines = [
            line
            for page in reader.pages
            for line in page.extract_text().splitlines()
            if not line.startswith(head)
        ]
        assert english_left("\n".join(lines), allowed) == []

    def test_cli_check_and_evaluate(self, allowed: list[str]) -> None:
        runner = CliRunner()
        said = [
            runner.invoke(cli.cli, ["check", "--lang", PSEUDO_LANGUAGE]),
            runner.invoke(
                cli.cli,
                ["evaluate", str(EXAMPLE), "--format", "markdown", "--lang", PSEUDO_LANGUAGE],
            ),
        ]
        assert [r.exit_code for r in said] == [0, 0]
        for result in said:
            assert english_left(result.output, allowed) == []


class TestMoreViewsInThePseudoLocale:
    """The CDS cards and the review document hold no English word of ours in en-XA."""

    def test_cds_cards_one_per_entry_and_the_summary_card(
        self, made: tuple[RulePack, AnswersFile, Checklist], allowed: list[str]
    ) -> None:
        pack, answers, checklist = made
        done = checklist.model_copy(
            update={"entries": (checklist.entries[0].model_copy(update={"done": True}),)}
        )
        label = made[0].items[0].label
        taken = FromRecord(made[0].items[0].id, label, "Cirrhosis", "Condition", "2026-01")
        with speaking(PSEUDO_LANGUAGE):
            cards = checklist_cards(checklist, from_record=[taken])
            cards.append(summary_card(checklist, from_record=[taken], app_url="https://x"))
            cards.append(summary_card(done))
        record_words = pack_strings(pack, answers, ["Cirrhosis", "Condition", "2026-01"])
        ours = [
            text
            for card in cards
            for text in (card["summary"], card["detail"], card["source"]["topic"]["display"])
        ] + [link["label"] for card in cards for link in card.get("links", [])]
        assert english_left("\n".join(ours), record_words) == []

    @pytest.mark.parametrize("render", [review_markdown, review_html])
    def test_review_document(
        self,
        made: tuple[RulePack, AnswersFile, Checklist],
        review_content: tuple[list[ScenarioResult], RecordMap | None],
        review_allowed: list[str],
        render: Callable[..., str],
    ) -> None:
        results, record = review_content
        with speaking(PSEUDO_LANGUAGE):
            text = render(made[0], results, record)
        if render is review_html:  # the page's own markup, not words: tags and the style sheet
            text = html.unescape(re.sub(r"<style>.*?</style>|<[^>]*>", " ", text, flags=re.DOTALL))
        assert english_left(text, review_allowed) == []

    def test_cli_error_frame(self, tmp_path: Path, allowed: list[str]) -> None:
        """The shell's own words around a problem (the problems themselves:
        tests/test_pseudo_locale_problems.py)."""
        broken = write_pack(tmp_path / "pack", {"items.yaml": "items: ["})
        result = CliRunner().invoke(
            cli.cli, ["check", "--lang", PSEUDO_LANGUAGE, "--rules", str(broken)]
        )
        assert result.exit_code == 1
        frame = result.stderr.splitlines()[0]
        assert english_left(frame, allowed) == [], frame

    def test_cli_items_rules_scenarios_and_coverage(self, review_allowed: list[str]) -> None:
        runner = CliRunner()
        said = [
            runner.invoke(cli.cli, ["items", "--lang", PSEUDO_LANGUAGE]),
            runner.invoke(cli.cli, ["rules", "--lang", PSEUDO_LANGUAGE]),
            runner.invoke(cli.cli, ["scenarios", "--lang", PSEUDO_LANGUAGE]),
            runner.invoke(cli.cli, ["check", "--coverage", "--lang", PSEUDO_LANGUAGE]),
        ]
        assert [r.exit_code for r in said] == [0, 0, 0, 0]
        for result in said:
            assert english_left(result.output, review_allowed) == []


MACHINE_WORDS = [
    "checklistResponse",
    "hookInstance",
    "hook",
    "context.patientId",
    "context",
    "fhirServer",
    "fhirAuthorization",
    "Content-Type: application/json",
    "Authorization: Bearer <JWT>",
    "GET /cds-services",
    "QuestionnaireResponse",
    "Bundle",
    "subject.reference",
    "prefetch",
    "Patient/p1",
    '"Patient"',
    "NaN",
    "A-Z a-z 0-9 - .",
    "text/plain",
    '"order-sign"',
    '"nope"',
    '{"feedback": [{"card", "outcome"}, ...]}',
    "feedback[0]",
    "Expecting property name enclosed in double quotes",
    *RECORD_PREFETCH,
    "vitalSigns",
    *(name for service in SERVICES for name in (service.id, service.hook)),
]
"""What the service's words name as the protocol does (fields, headers, prefetch keys), echo
from the call, or quote from Python's JSON reader: never words of ours."""


def _said_by_the_service(answer: Any) -> list[str]:
    """The words of a service's answer a person reads: each card's summary, detail, source
    label, topic and links, or each refusal's diagnostics."""
    data = answer.json()
    if data.get("resourceType") == "OperationOutcome":
        return [issue["diagnostics"] for issue in data["issue"]]
    return [
        text
        for card in data["cards"]
        for text in (
            card["summary"],
            card["detail"],
            card["source"]["label"],
            card["source"]["topic"]["display"],
            *(link["label"] for link in card.get("links", [])),
        )
    ]


@pytest.fixture(scope="module")
def service_allowed(allowed: list[str]) -> list[str]:
    return _with(allowed, *map(_fold, MACHINE_WORDS))


def _without_prefetch(pack: RulePack) -> dict[str, Any]:
    body = call_body(pack)
    del body["prefetch"]
    return body


def _with_response(pack: RulePack, **fields: Any) -> dict[str, Any]:
    """A call whose prefetched response has these fields changed (None: the prefetch itself)."""
    body = call_body(pack)
    if "prefetch" in fields:
        body["prefetch"]["checklistResponse"] = fields["prefetch"]
        return body
    response = body["prefetch"]["checklistResponse"]["entry"][0]["resource"]
    response.update(fields)
    return body


def _post(path: str, **request: Any) -> Callable[[SignedClient, RulePack], Any]:
    return lambda client, _pack: client.post(path, **request)


def _call(
    make: Callable[[RulePack], Any], **request: Any
) -> Callable[[SignedClient, RulePack], Any]:
    return lambda client, pack: client.post(PATIENT_VIEW, json=make(pack), **request)


SEEN = {"card": "a", "outcome": "accepted"}
"""One feedback entry."""

REFUSED: dict[str, tuple[int, Callable[[SignedClient, RulePack], Any]]] = {
    "not JSON": (400, _post(PATIENT_VIEW, content=b"{hook: patient-view")),
    "not UTF-8": (400, _post(PATIENT_VIEW, content=b'{"hook": "\xff"}')),
    "a duplicate key": (400, _post(PATIENT_VIEW, content=b'{"hook": 1, "hook": 2}')),
    "NaN": (400, _post(PATIENT_VIEW, content=b'{"hook": NaN}')),
    "nested too deeply": (400, _post(PATIENT_VIEW, content=b"[" * 100 + b"]" * 100)),
    "not an object": (400, _post(PATIENT_VIEW, json=[])),
    "the wrong hook": (400, _call(lambda p: call_body(p, hook="order-sign"))),
    "no hookInstance": (400, _call(lambda p: call_body(p, hookInstance=None))),
    "no context": (400, _call(lambda p: call_body(p, context=[]))),
    "no patient": (400, _call(lambda p: call_body(p, context={"patientId": "a b"}))),
    "prefetch not an object": (400, _call(lambda p: call_body(p, prefetch=[]))),
    "a prefetch of another kind": (
        400,
        _call(lambda p: _with_response(p, prefetch={"resourceType": "Patient"})),
    ),
    "a bad feedback": (400, _post(f"{PATIENT_VIEW}/feedback", json={"feedback": [{"card": 1}]})),
    "no feedback": (400, _post(f"{PATIENT_VIEW}/feedback", json={})),
    "too much feedback": (400, _post(f"{PATIENT_VIEW}/feedback", json={"feedback": [SEEN] * 21})),
    "no JWT": (401, _call(_without_prefetch, headers={"Authorization": ""})),
    "not a JWT": (401, _call(_without_prefetch, headers={"Authorization": "Bearer x"})),
    "a JWT for another service": (
        401,
        _call(
            _without_prefetch,
            headers={"Authorization": f"Bearer {EHR.token(PATIENT_VIEW, audience='https://x')}"},
        ),
    ),
    "an unknown service": (404, _post("/cds-services/nope", json={})),
    "an unknown path": (404, lambda client, _pack: client.get("/nowhere")),
    "a wrong method": (405, lambda client, _pack: client.get(PATIENT_VIEW)),
    "no prefetch": (412, _call(_without_prefetch)),
    "a prefetch the EHR could not make": (
        412,
        _call(lambda p: _with_response(p, prefetch={"resourceType": "OperationOutcome"})),
    ),
    "too large": (413, _post(PATIENT_VIEW, content=b" " * 2_000_000)),
    "not JSON by its type": (
        415,
        _post(PATIENT_VIEW, content=b"{}", headers={"Content-Type": "text/plain"}),
    ),
    "another patient": (
        422,
        _call(lambda p: _with_response(p, subject={"reference": "Patient/p2"})),
    ),
    "no subject": (422, _call(lambda p: _with_response(p, subject=None))),
    "a malformed authored": (422, _call(lambda p: _with_response(p, authored="06/12/2026"))),
    "an impossible authored": (422, _call(lambda p: _with_response(p, authored="2026-02-30"))),
}
"""Every refusal of the service a call can bring about, by what is wrong with the call."""


@pytest.fixture(scope="module")
def xa(shipped_pack: RulePack) -> SignedClient:
    """The service started in en-XA."""
    return signed_client(shipped_pack, language=PSEUDO_LANGUAGE, app_url="https://x")


class TestTheCdsServiceInThePseudoLocale:
    """A service started in en-XA says everything in it, its cards and notes and its refusals
    (in the request's task or a worker thread), with the same statuses and JSON shape."""

    def test_its_discovery_document(self, xa: SignedClient, service_allowed: list[str]) -> None:
        services = xa.get("/cds-services").json()["services"]
        said = [text for s in services for text in (s["title"], s["description"])]
        assert english_left("\n".join(said), service_allowed) == [], said

    @pytest.mark.parametrize("per_point", [False, True])
    def test_its_cards_with_their_notes(
        self, shipped_pack: RulePack, service_allowed: list[str], per_point: bool
    ) -> None:
        """The summary card says which record data was not consulted, and that the answers were
        given to an older version whose questions read the same."""
        client = signed_client(
            shipped_pack, language=PSEUDO_LANGUAGE, app_url="https://x", per_point_cards=per_point
        )
        body = call_body(shipped_pack)
        body["prefetch"]["checklistResponse"] = bundle(older(shipped_pack))
        answer = client.post(PATIENT_VIEW, json=body)
        assert answer.status_code == 200
        said = _said_by_the_service(answer)
        assert said
        assert english_left("\n".join(said), service_allowed) == [], said

    @pytest.mark.parametrize("version", ["1.0.0", ""])
    def test_the_cards_of_no_answers_and_of_an_older_version(
        self, xa: SignedClient, shipped_pack: RulePack, service_allowed: list[str], version: str
    ) -> None:
        none = call_body(shipped_pack, hook="order-select", context=order_context(ketamine_order()))
        none["prefetch"]["checklistResponse"] = None
        reworded = call_body(shipped_pack)
        changed = older(shipped_pack, version, long_term_opioid_use="Is the patient on opioids?")
        reworded["prefetch"]["checklistResponse"] = bundle(changed)
        shown = _with(service_allowed, "Is the patient on opioids?")
        for path, body in ((ORDER_SELECT, none), (PATIENT_VIEW, reworded)):
            answer = xa.post(path, json=body)
            assert answer.status_code == 200
            said = _said_by_the_service(answer)
            assert english_left("\n".join(said), shown) == [], said

    @pytest.mark.parametrize(
        ("status", "send"), [pytest.param(s, send, id=name) for name, (s, send) in REFUSED.items()]
    )
    def test_its_refusals(
        self,
        xa: SignedClient,
        shipped_pack: RulePack,
        service_allowed: list[str],
        status: int,
        send: Callable[[SignedClient, RulePack], Any],
    ) -> None:
        answer = send(xa, shipped_pack)
        assert answer.status_code == status, answer.text
        (message,) = _said_by_the_service(answer)
        assert english_left(message, service_allowed) == [], message

    def test_a_flood_of_feedback(self, shipped_pack: RulePack, service_allowed: list[str]) -> None:
        client = signed_client(shipped_pack, language=PSEUDO_LANGUAGE, feedback_per_minute=1)
        answer = client.post(f"{PATIENT_VIEW}/feedback", json={"feedback": [SEEN, SEEN]})
        assert answer.status_code == 429
        (message,) = _said_by_the_service(answer)
        assert english_left(message, service_allowed) == [], message

    def test_a_refusal_made_in_a_worker_thread(
        self, monkeypatch: pytest.MonkeyPatch, shipped_pack: RulePack, service_allowed: list[str]
    ) -> None:
        """The fetch from the call's FHIR server runs in a worker thread: its 412 too."""
        stand_in_for(monkeypatch, [medication(n) for n in range(5)] + [THEOPHYLLINE], page_size=1)
        client = signed_client(shipped_pack, language=PSEUDO_LANGUAGE, fhir_servers=(SERVER,))
        answer = client.post(PATIENT_VIEW, json=from_the_server(shipped_pack))
        assert answer.status_code == 412
        (message,) = _said_by_the_service(answer)
        assert english_left(message, service_allowed) == [], message

    def test_an_unexpected_error(
        self, monkeypatch: pytest.MonkeyPatch, xa: SignedClient, shipped_pack: RulePack
    ) -> None:
        def broken(*_args: Any) -> Any:
            raise RuntimeError("a bug")

        monkeypatch.setattr(calls_module, "evaluate", broken)
        answer = xa.post(PATIENT_VIEW, json=call_body(shipped_pack))
        assert answer.status_code == 500
        assert english_left(" ".join(_said_by_the_service(answer)), []) == []


class TestFhirTextsInThePseudoLocale:
    """The Questionnaire and the item CodeSystem carry our words in the language of the render
    (the answers' displays are LOINC's, and the questions the pack's)."""

    def test_the_questionnaire_and_the_codesystem(
        self, made: tuple[RulePack, AnswersFile, Checklist], allowed: list[str]
    ) -> None:
        pack = made[0]
        with speaking(PSEUDO_LANGUAGE):
            form, codes = questionnaire(pack), item_codes(pack)
        ours = [form["description"], codes["title"], codes["description"]]
        assert english_left("\n".join(ours), allowed) == []
        assert form["language"] == PSEUDO_LANGUAGE
        assert "language" not in questionnaire(pack)


class TestThePseudoPdfVerifies:
    """A PDF made in en-XA records its language, and verify draws and reads it in it."""

    def test_the_record_names_its_language_and_an_english_one_names_none(
        self, made: tuple[RulePack, AnswersFile, Checklist], pseudo_pdf: bytes
    ) -> None:
        reader = PdfReader(io.BytesIO(pseudo_pdf))
        record, _ = read_record(reader.attachments["screening-record.json"][0], "x.pdf")
        assert record.language == PSEUDO_LANGUAGE
        english = checklist_pdf(made[2])
        plain = PdfReader(io.BytesIO(english)).attachments["screening-record.json"][0]
        assert b'"language"' not in plain

    def test_verify_finds_the_same_drawing(
        self, made: tuple[RulePack, AnswersFile, Checklist], pseudo_pdf: bytes
    ) -> None:
        result = verify_pdf(pseudo_pdf, made[0], "x.pdf")
        assert result.matches
        assert result.drawing == "same"

    def test_its_pages_read_back_by_text_in_its_language_and_not_in_english(
        self, made: tuple[RulePack, AnswersFile, Checklist], pseudo_pdf: bytes
    ) -> None:
        reader = PdfReader(io.BytesIO(pseudo_pdf))
        record, _ = read_record(reader.attachments["screening-record.json"][0], "x.pdf")
        texts = [p.extract_text() for p in reader.pages]
        with speaking(record.language):
            assert check_pages(texts, record, made[0], "x.pdf") == ()
        with pytest.raises(Exception, match="altered"):
            check_pages(texts, record, made[0], "x.pdf")


class TestTheCatalogue:
    """The committed catalogues are the ones the code and the template make."""

    def test_every_word_marked_in_the_code_is_in_the_template(self) -> None:
        pot = REPOSITORY / "screening" / "locale" / "screening.pot"
        template = {
            m.id if isinstance(m.id, str) else tuple(m.id)
            for m in read_po(io.BytesIO(pot.read_bytes()))
            if m.id
        }
        method_map = [
            ("screening/**.py", "python"),
            ("app.py", "python"),
            ("app_pages/**.py", "python"),
        ]
        marked = {
            message if isinstance(message, str) else tuple(message)
            for _file, _line, message, _comments, _context in extract_from_dir(
                str(REPOSITORY), method_map=method_map
            )
        }
        assert marked - template == set(), "run `make messages`"

    def test_the_pseudo_locale_is_made_from_the_template(self) -> None:
        locale = REPOSITORY / "screening" / "locale"
        made = pseudo_po((locale / "screening.pot").read_bytes())
        assert (locale / "en_XA" / "LC_MESSAGES" / "screening.po").read_bytes() == made

    def test_pseudo_keeps_placeholders_and_accents_every_letter(self) -> None:
        assert pseudo("Rule {rule}: %(n)s") == "Ŕûûļéé {rule}: %(n)s"

    def test_an_unknown_language_is_refused(self) -> None:
        with pytest.raises(ValueError, match="no catalogue"):
            translations("xx-YY")
        with pytest.raises(ValueError, match="no catalogue"):
            translations("../en_XA")

    def test_the_language_of_one_render_does_not_leak_into_the_next(
        self, made: tuple[RulePack, AnswersFile, Checklist]
    ) -> None:
        with speaking(PSEUDO_LANGUAGE):
            pass
        assert "# Ketamine for pain" in checklist_markdown(made[2])


HIDDEN_ANSWERS = {"answers": {"course_planned": "no", "repeated_course_planned": "yes"}}
"""An answer to a follow-up that its parent's No hides: dropped, with a note."""


def _with(allowed: list[str], *more: str) -> list[str]:
    """`allowed` and the paths or names a command prints as given, longest first (an empty
    one would split every word)."""
    return sorted({*allowed, *filter(None, more)}, key=len, reverse=True)


def _said(result: Result) -> str:
    """Everything a command printed, stdout and stderr."""
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def answers_table(tmp_path_factory: pytest.TempPathFactory, shipped_pack: RulePack) -> Path:
    """An answers table for the shipped pack: eight answer sets and one refused (a bad cell)."""
    ids = [i.id for i in shipped_pack.items if i.asked_if is None][:4]
    values = ["yes", "no", "unknown", ""]
    rows = [[f"p{n}", *(values[(n + k) % 4] for k in range(len(ids)))] for n in range(8)]
    rows.append(["bad", "maybe", *[""] * (len(ids) - 1)])
    path = tmp_path_factory.mktemp("table") / "answers.csv"
    path.write_text(csv_text(rows, ["record_id", *ids]), encoding="utf-8")
    return path


class TestEveryCommandInThePseudoLocale:
    """Every command takes `--lang`, and in en-XA prints no English word of ours: verify, diff,
    batch, audit, impact, schema, the fhir commands and cds serve (the others: above)."""

    def test_verify_an_english_and_a_pseudo_pdf_and_one_under_another_pack(
        self, tmp_path: Path, pseudo_pdf: bytes, allowed: list[str]
    ) -> None:
        english = tmp_path / "english.pdf"
        english.write_bytes(checklist_pdf(read_checklist(EXAMPLE)))
        pseudo_file = tmp_path / "pseudo.pdf"
        pseudo_file.write_bytes(pseudo_pdf)
        older = REPOSITORY / "tests" / "fixtures" / "pack-1.1.0"
        said = [
            invoke("verify", english),
            invoke("verify", pseudo_file),
            invoke("verify", english, "--rules", older),
        ]
        assert [r.exit_code for r in said] == [0, 0, 1]
        older_words = pack_strings(load_pack(older), AnswersFile())
        shown = _with(allowed, *older_words, str(english), str(pseudo_file))
        for result in said:
            assert english_left(_said(result), shown) == [], _said(result)

    def test_verify_an_older_release_s_file_read_by_its_text_in_english(self) -> None:
        """A golden 0.1.0 file: its pages are English, and stay English to the check (exit 3 as
        without --lang); what verify says of it is in en-XA."""
        golden = REPOSITORY / "tests" / "fixtures" / "pdf"
        made = golden / "format-1_screening-0.1.0_cjk-reference.pdf"
        result = invoke("verify", made, "--rules", golden / "pack-1.0.0")
        assert result.exit_code == 3
        older = load_pack(golden / "pack-1.0.0", schema="1.0")
        shown = _with(pack_strings(older, AnswersFile()), str(made), display_path(made))
        assert english_left(_said(result), shown) == [], _said(result)

    def test_diff(self, review_allowed: list[str]) -> None:
        old_dir = REPOSITORY / "tests" / "fixtures" / "pack-1.0.0"
        old = load_pack(old_dir)
        result = invoke("diff", old_dir, RULES)
        assert result.exit_code == 0
        old_words = pack_strings(old, AnswersFile(), _record_words(old_dir, old))
        shown = _with(review_allowed, *old_words, display_path(old_dir), display_path(RULES))
        assert english_left(result.stdout, shown) == [], result.stdout

    def test_batch_audit_and_impact(
        self, tmp_path: Path, answers_table: Path, allowed: list[str]
    ) -> None:
        results = tmp_path / "results.csv"
        older = REPOSITORY / "tests" / "fixtures" / "pack-1.1.0"
        said = [
            invoke("batch", answers_table, "--out", results),
            invoke("audit", answers_table),
            invoke("audit", results),
            invoke("impact", older, RULES, answers_table),
        ]
        assert [r.exit_code for r in said] == [1, 1, 0, 0]
        files = (answers_table, results, results.with_name("results.problems.csv"), older, RULES)
        paths = (*(str(f) for f in files), *(display_path(f) for f in files))
        prefixes = (load_pack(older).sha256[:12], load_pack(RULES).sha256[:12])  # impact's table
        # the refused cell as given, and the answers as a table writes them
        shown = _with(allowed, *paths, *prefixes, "'maybe'", '"yes"', '"no"', '"unknown"')
        for text in map(_said, said):
            assert english_left(text, shown) == [], text

    @pytest.mark.parametrize(
        "command",
        [
            ("audit", "{table}", "--format", "json"),
            ("audit", "{table}", "--format", "csv"),
            ("impact", "{older}", "{rules}", "{table}", "--format", "json"),
            ("items", "--format", "json"),
        ],
    )
    def test_machine_output_and_exit_codes_are_the_same_in_every_language(
        self, answers_table: Path, command: tuple[str, ...]
    ) -> None:
        older = REPOSITORY / "tests" / "fixtures" / "pack-1.1.0"
        args = [a.format(table=answers_table, older=older, rules=RULES) for a in command]
        english, pseudo_run = invoke(*args, lang="en"), invoke(*args)
        assert english.stdout == pseudo_run.stdout
        assert english.exit_code == pseudo_run.exit_code

    def test_schema(self, tmp_path: Path, allowed: list[str]) -> None:
        result = invoke("schema", "--out", tmp_path)
        assert result.exit_code == 0
        names = [str(p) for p in tmp_path.iterdir()]
        assert names
        assert english_left(result.stdout, _with(allowed, *names)) == [], result.stdout

    def test_the_fhir_commands_texts(self, allowed: list[str]) -> None:
        """The texts of ours in each resource (the pack's questions and LOINC's displays aside,
        and the codes and names a FHIR resource is made of)."""
        form = json.loads(invoke("fhir", "questionnaire").stdout)
        codes = json.loads(invoke("fhir", "codesystem").stdout)
        extension = json.loads(invoke("fhir", "extension").stdout)
        response = invoke("fhir", "response", EXAMPLE)
        assert response.exit_code == 0
        ours = [
            form["description"],
            codes["title"],
            codes["description"],
            extension["title"],
            extension["description"],
            *(e.get("short", "") for e in extension["differential"]["element"]),
            *(e.get("definition", "") for e in extension["differential"]["element"]),
            response.stderr,
        ]
        assert english_left("\n".join(ours), allowed) == []
        assert {form["language"], extension["language"]} == {PSEUDO_LANGUAGE}

    def test_the_note_on_answers_to_questions_not_shown(
        self, tmp_path: Path, allowed: list[str]
    ) -> None:
        """Dropped, never evaluated, and named on stderr: by `fhir response` and `evaluate`."""
        hidden = tmp_path / "hidden.json"
        hidden.write_text(json.dumps(HIDDEN_ANSWERS), encoding="utf-8")
        said = [invoke("fhir", "response", hidden), invoke("evaluate", hidden)]
        assert [r.exit_code for r in said] == [0, 0]
        for result in said:
            assert "repeated_course_planned" in result.stderr
            assert english_left(result.stderr, _with(allowed, str(hidden))) == [], result.stderr

    def test_cds_serve_its_warnings_and_its_refusals(
        self, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
    ) -> None:
        """The service itself is not started here (tests/test_cds.py: it speaks `--lang`)."""
        import uvicorn  # noqa: PLC0415 - the server the command would start

        monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
        said = [
            invoke("cds", "serve"),
            invoke("cds", "serve", "--insecure-no-jwt"),
            invoke("cds", "serve", "--insecure-no-jwt", "--host", "0.0.0.0"),
            invoke("cds", "serve", "--ssl-certfile", EXAMPLE),
        ]
        assert [r.exit_code for r in said] == [0, 0, 2, 2]
        # a usage error's frame names the command as typed: its program, group and command
        typed = ["http://127.0.0.1:8090/cds-services", "clicdsserve", "--help", str(EXAMPLE)]
        for text in map(_said, said):
            assert english_left(text, _with(allowed, *typed)) == [], text

    def test_an_option_refused_before_lang_is_read_is_refused_in_its_language(self) -> None:
        """`--lang` is read first, wherever it stands: here after a bad `--base`."""
        result = invoke("fhir", "questionnaire", "--base", "ftp://x")
        assert result.exit_code == 2
        refusal = result.stderr.splitlines()[-1].split("': ", 1)[1]  # after click's frame
        assert english_left(refusal, ["https://fhir.example.org/fhir"]) == [], refusal

    def test_the_shared_refusal_of_an_output_file(self, tmp_path: Path) -> None:
        """The refusals every command shares (cli/shared.py), here of a read-only file."""
        out = tmp_path / "review.md"
        out.write_text("kept", encoding="utf-8")
        out.chmod(0o444)
        result = invoke("rules", "--out", out)
        assert result.exit_code == 1
        assert english_left(result.stderr.removeprefix("Error: "), [str(out)]) == []
        assert out.read_text(encoding="utf-8") == "kept"


class TestEveryCommandTakesTheOneLanguageOption:
    """Every command and subcommand has `--lang`, the same option: same help, same choices."""

    def test_each_command_has_it(self) -> None:
        shared = lang_option(click.command()(lambda: None)).params[0]
        found = dict(_commands(cli.cli, ()))
        assert found, "no commands found"
        for name, command in found.items():
            langs = [p for p in command.params if p.name == "lang"]
            assert len(langs) == 1, f"{name} has no --lang"
            option = langs[0]
            assert isinstance(option, click.Option)
            assert option.help == shared.help, name
            assert option.type.choices == shared.type.choices, name  # type: ignore[attr-defined]
            assert option.default == shared.default, name
            assert option.callback is shared.callback, name

    def test_an_unknown_language_is_refused_by_every_command(self) -> None:
        for name in dict(_commands(cli.cli, ())):
            result = invoke(*name.split(), lang="xx-YY")
            assert result.exit_code == 2, name
            assert "'xx-YY' is not one of" in result.stderr, name


def _commands(group: click.Group, path: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        elif command is not None:
            yield " ".join((*path, name)), command


def invoke(*args: str | Path, lang: str = PSEUDO_LANGUAGE) -> Result:
    """A command run in `lang`, stdout and stderr apart."""
    return CliRunner().invoke(cli.cli, [*map(str, args), "--lang", lang])


def read_checklist(path: Path) -> Checklist:
    pack = load_pack(RULES)
    return evaluate(pack, read_answers_bytes(path.read_bytes(), path.name, pack), path.name)


def _record_words(folder: Path, pack: RulePack) -> dict[str, Any]:
    record = load_record_map(folder, pack)
    return record.model_dump(mode="json") if record else {}
