"""The screening page, in three parts: the session memory (`memory`), the form (`form_view`)
and the checklist (`checklist_view`); `page.py` is the script Streamlit runs for it."""
