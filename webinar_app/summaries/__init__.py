"""Post-session summaries: drafting, review, revisions, publishing and public views."""
