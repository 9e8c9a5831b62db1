"""The stablediffusionapi provider plugin (being written)."""
