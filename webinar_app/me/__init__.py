"""The personal page /me/TOKEN."""
