"""Facts about the world, as data files with a source and a date on every row (never in code)."""
