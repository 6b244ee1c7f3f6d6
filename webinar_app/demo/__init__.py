"""The demo data: the 4Ps series."""
