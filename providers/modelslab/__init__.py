"""The modelslab provider plugin (being written)."""
