"""Calendar feeds: the public series and module feeds, and the personal feed response."""
