"""The same rules over a whole table of answer sets at once: for audits, impact and benches.

`vector` evaluates a pack's conditions on int8 arrays in the engine's three-valued logic;
`table` reads CSV, Parquet or JSON Lines into those arrays, reporting every bad cell;
`audit` and `impact` count what the results say. Pure and typed, like the rest of the core;
the per-row engine (`screening.engine`) stays the reference that tests hold this equal to.
"""
