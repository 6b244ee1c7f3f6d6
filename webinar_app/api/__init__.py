"""JSON API v1: public schedule data, no personal data."""
