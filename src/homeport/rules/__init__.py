"""Built-in rule packs, one folder per code prefix. Importing this package registers them all.

ACC: code and run-time configuration tied to NVIDIA (category accelerator)
CLD: code and configuration tied to one hyperscaler (category cloud)
DEP: dependency declarations that pin a vendor stack (category dependency)
RES: destinations a residency policy does not allow (category residency; `assess --policy`)
"""

from homeport.rules import acc, cld, dep, res  # noqa: F401
