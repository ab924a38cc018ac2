"""``native``: every supervised component (one loop over the rendered document); ``compose``: the compose project."""
