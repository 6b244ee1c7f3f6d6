"""New editions of a series: a series' programme copied under a new slug, title and dates."""
