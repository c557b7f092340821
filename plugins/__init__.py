"""benchlab's built-in plugins. Each module registers through the ``benchlab`` entry-point group."""
