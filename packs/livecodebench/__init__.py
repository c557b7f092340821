"""Pack ``lcb-v6-30``: LiveCodeBench v6 problems from the user's copy of its JSONL."""
