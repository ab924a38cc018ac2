"""vibes_stack: bring the vibes-observe stack up, natively or with compose.

Entry point: ``python -m vibes_stack --mode auto|native|compose [--config F]
up|down|status|logs [component]|plan|clean|binaries``.
"""
