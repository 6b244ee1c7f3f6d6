"""Organiser pages for registrations: lists, counts, CSV export, moves between lists."""
