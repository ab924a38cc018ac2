"""Group data of `gateways` (two or more) in a fleet inventory.

Until the gateway collector role lands, a gateway runs the single-host collector too.
"""
vibes_components = ["collector"]
