"""CLD: tied to one hyperscaler. CLD0xx AWS, CLD1xx Azure, CLD2xx Google Cloud."""

from homeport.rules.cld import aws, azure, gcp  # noqa: F401
