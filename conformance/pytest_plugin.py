"""pytest plugin for openai-conformance (being written)."""
