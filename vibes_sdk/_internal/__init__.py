"""Private machinery of vibes_sdk: nothing here is public API."""
