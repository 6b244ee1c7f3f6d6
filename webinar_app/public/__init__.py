"""Public pages: the series, its modules and their pre-reading."""
