"""FHIR R4 faces of the pack: a Questionnaire for SDC renderers, QuestionnaireResponses in and out.

Pure: plain JSON-ready dicts in, plain dicts out; no network, no files, no clock.
"""
