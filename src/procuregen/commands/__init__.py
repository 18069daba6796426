"""One module per command; each parses its options and calls the library API."""
