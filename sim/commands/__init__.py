"""Subcommands of the ``homesim`` command line, one module each."""
