"""collector: the OTLP bearer token (when enabled), rendered config, the supervised process."""
from vibes_stack.pyinfra_ops import secret_file

from tasks import _native

stop = _native.stop


def deploy(comp, doc):
    if doc["collector_token_file"]:
        secret_file(name="collector: OTLP bearer token (0600)", path=doc["collector_token_file"])
    _native.deploy(comp, doc)
