"""Organiser pages under /admin/."""
