"""The rule pack: reading its YAML with positions, cross-checking it, its scenarios, its schemas,
and the candidate zip a committee reviews before approving."""
