"""The audit log: per-series and site-wide pages and CSV exports."""
