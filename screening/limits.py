"""Every bound the product enforces, stated once: how much it reads and how much work it does.

Each reader and check imports its bound from here and names it when it refuses, so a
refusal says which limit was met. The README's "Security and bounds" section lists them.
Real inputs sit far below every bound. A pack's bounds are what the shipped pack needs
times ten (1.2.0: 42 items, 55 rules, 9 sources, 12 files of at most 22 KB and 110 KB in
all, conditions of at most 4 parts nested 2 deep, follow-ups 1 deep), so that reading a pack
at the bounds stays quick: `check` under 3 s, a candidate zip's review under 5 s
(`bench/limits.py`). An answers file is a few kilobytes. The lengths of an answers file's
text fields are part of its public shape and live with it (`FREE_TEXT_MAX_LENGTH`,
`NOTE_MAX_LENGTH` in `screening/models.py`).
"""

from __future__ import annotations

# How much is read. Every file is read at most one byte past its bound, never further, so
# a device or an endless stream is refused as soon as the bound is passed.
MAX_ANSWERS_BYTES = 1_000_000
"""An answers file (command line or upload); a full one is about 2 KB."""

MAX_PACK_FILE_BYTES = 250_000
"""One rule pack or vignette file (the shipped pack's largest: 22 KB)."""

MAX_PACK_FILES = 120
"""YAML files in a pack folder or zip, vignettes aside (the shipped pack: 12)."""

MAX_PACK_BYTES = 1_200_000
"""A pack's YAML files together, vignettes aside (the shipped pack: 110 KB)."""

MAX_PDF_BYTES = 20_000_000
"""A checklist PDF given to `verify`; one the program writes is well under 1 MB."""

MAX_ZIP_MEMBERS = 200
"""Files in a candidate pack zip; a pack holds about a dozen, its vignettes a few more."""

MAX_ZIP_TOTAL_BYTES = 1_500_000
"""Uncompressed bytes read from a candidate zip, counted as they are read: a header can lie
(the shipped pack with its vignettes: 143 KB)."""

MAX_UPLOAD_MB = 5
"""The web server's upload limit (`server.maxUploadSize` in `.streamlit/config.toml`)."""

MAX_TABLE_UPLOAD_MB = 50
"""An answers table uploaded to the app's Audit or Rule pack page (about 400,000 rows of CSV);
larger exports go through the command line."""

MAX_TABLE_UPLOAD_ROWS = 2_000_000
"""Answer sets in a table uploaded to the app, checked before a Parquet file is unpacked."""

# What an answers file may hold.
MAX_ANSWERS = 1_000
"""Answers in one file: more than any pack has items, so a longer list is refused unread."""

MAX_NUMBER_DIGITS = 100
"""Digits in a JSON number; no answers field is a number, so a longer one is refused unread."""

# How big a rule pack may be; checked before any analysis whose cost grows with it.
MAX_ITEMS = 500
MAX_RULES = 600
MAX_SOURCES = 100
MAX_FOLLOW_UP_DEPTH = 10
"""Longest chain of follow-ups (a follow-up of a follow-up ...); the shipped pack's is 1."""

MAX_CONDITION_NODES = 40
"""Parts (`item`, `all`, `any`, `not`) in one condition (the shipped pack's largest: 4)."""

MAX_CONDITION_DEPTH = 20
"""Nesting of `all` / `any` / `not` in one condition."""

MAX_ITEMS_PER_CONDITION_CHECKED = 8
"""A condition may read at most this many questions (3^8 answer combinations to try)."""

MAX_COMBINATIONS_PER_PACK = 200_000
"""Bounds the can-never-hold check, so an uploaded candidate pack cannot stall the app."""

# How long the app works on a reviewer's upload.
CANDIDATE_CHECK_SECONDS = 30.0
"""Wall-clock bound on checking a candidate pack in the app, in a process of its own."""

# How much a message shows.
MAX_ECHO = 120
"""A problem quotes at most this much of the offending value (a questionnaire's url fits), the
one length every message, problems file and refusal quotes through (`screening.text.echo`)."""

MAX_PROBLEMS_SHOWN = 20
"""A refusal lists this many problems, then says how many more there are."""


# FHIR QuestionnaireResponses and CDS Hooks calls.
MAX_RESPONSE_ITEM_DEPTH = 8
"""Item nesting in a QuestionnaireResponse; this form's responses nest two deep."""

MAX_CDS_BODY_BYTES = 1_000_000
"""A CDS Hooks call or feedback body: one response and a few draft orders, refused unread."""

MAX_CDS_JSON_DEPTH = 40
"""JSON nesting in a CDS Hooks body; a bundle of draft orders nests about a dozen deep."""

MAX_CREDENTIAL_BYTES = 1_000_000
"""A PKCS#12 signing identity or a PEM file of certificates to trust (`evaluate --sign`,
`verify --trust`); one holds a few kilobytes."""

# Answer tables (`batch`, `audit`, `impact` and the app's uploads), each checked before the
# table is read or unpacked (a Parquet file by its metadata, a CSV file by its header and lines).
MAX_TABLE_COLUMNS = 1_000
"""Columns in an answers table, or distinct keys in a JSON Lines file: a pack has at most
500 items, and a record id."""

MAX_TABLE_CELLS = 400_000_000
"""Rows times columns of a table read on the command line (20 million rows of 20 columns)."""

MAX_TABLE_MEMORY = 4 * 1024**3
"""Bytes a table may take in memory once unpacked, as its Parquet metadata states, or as its
record ids would take written out, on the command line."""

MAX_TABLE_UPLOAD_CELLS = 40_000_000
"""Rows times columns of a table uploaded to the app (2 million rows of 20 columns)."""

MAX_TABLE_UPLOAD_MEMORY = 256 * 1024**2
"""Bytes a table uploaded to the app may take in memory once unpacked."""

MAX_CELL_CHARS = 200
"""A record id, or any cell: an answer is a word, a record id a reference."""

MAX_TABLE_PROBLEMS = 10_000
"""Problems listed for a table (by row): the rest are counted, and their rows refused."""

# A patient's record uploaded to the web form (a FHIR Bundle) to pre-fill it.
MAX_BUNDLE_BYTES = 5_000_000
"""A FHIR Bundle given to the form (the web server's upload limit); refused unread above it."""

MAX_BUNDLE_ENTRIES = 10_000
"""Entries in that Bundle: a year of a busy chart's `$everything`; more are refused unread."""

MAX_BUNDLE_JSON_DEPTH = 40
"""JSON nesting in that Bundle; a resource with contained resources nests about a dozen deep."""
