"""Sandbox providers (docker, bubblewrap) and their image recipes."""
