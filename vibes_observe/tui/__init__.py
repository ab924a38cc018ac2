"""The `vibes observe dashboard` terminal UI (Textual): ``snapshot`` fetches, ``view``
turns a snapshot into panel text and rows, ``app`` draws them and handles keys."""
