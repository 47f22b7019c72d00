"""One module per output format; each renders an Assessment."""
