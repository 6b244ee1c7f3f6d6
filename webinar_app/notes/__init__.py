"""Background notes: upload checks and downloads."""
