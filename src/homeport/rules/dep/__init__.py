"""DEP: dependency declarations that pin a vendor stack. DEP0xx CUDA builds and images,
DEP1xx accelerator libraries (from the support matrix), DEP2xx hyperscaler SDK packages."""

from homeport.rules.dep import libraries, packages  # noqa: F401
