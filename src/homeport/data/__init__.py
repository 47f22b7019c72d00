"""Object stores behind one interface, copy, verify, manifest, journal, probe (issue 4)."""

from homeport.data.stream import stream  # noqa: E402,F401  (homeport.data.stream: the far-away reader)
