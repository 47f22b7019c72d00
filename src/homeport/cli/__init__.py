"""The thin command layer: parse, call the library, map results to exit codes."""
