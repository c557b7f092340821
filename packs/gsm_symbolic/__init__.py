"""Pack ``gsm-symbolic-30``: 30 grade-school problem templates, instantiated from a seed."""
