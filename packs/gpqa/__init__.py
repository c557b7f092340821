"""Pack ``gpqa-diamond``: GPQA Diamond from the user's copy of its CSV."""
