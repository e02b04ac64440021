"""End-to-end tests against a real API server and the real Pulumi engine (see README.md)."""
