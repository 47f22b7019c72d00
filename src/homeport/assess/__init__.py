"""The assessment engine: discover files, analyze each by kind, collect findings and inventory."""
