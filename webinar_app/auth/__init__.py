"""Login, logout, accounts and role checks."""
