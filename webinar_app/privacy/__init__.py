"""Personal data by purpose: the retention period of a series and the purge that ends it."""
