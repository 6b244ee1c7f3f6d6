"""Series and module scheduling rules, shared by organiser pages and the CLI."""
