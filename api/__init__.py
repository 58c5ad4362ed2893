"""HTTP APIs for integrations: REST JSON under /api/v1."""
