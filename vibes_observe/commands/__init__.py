"""`vibes observe` subcommands, one module each."""
