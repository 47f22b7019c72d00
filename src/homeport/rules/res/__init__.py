"""RES: destinations a residency policy does not allow (`assess --policy`). They judge what the analyzers
and the cloud rules found (assess/destinations.py); without a policy they do not run."""

from homeport.rules.res import destinations  # noqa: F401
