"""The novita provider plugin (being written)."""
