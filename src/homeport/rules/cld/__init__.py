"""CLD: tied to one hyperscaler. CLD0xx AWS, CLD1xx Azure, CLD2xx Google Cloud."""
