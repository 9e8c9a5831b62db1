"""The conformance suite that provider plugins run against the mock server."""
