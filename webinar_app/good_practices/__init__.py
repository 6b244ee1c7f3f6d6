"""The public catalogue of good practices from the published summaries of a series."""
