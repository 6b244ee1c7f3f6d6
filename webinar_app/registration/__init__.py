"""Registration for one, several or all modules of a series."""
