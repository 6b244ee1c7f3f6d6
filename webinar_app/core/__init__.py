"""Helpers shared by several features (layers: models, core, calendar and outbox, features)."""
