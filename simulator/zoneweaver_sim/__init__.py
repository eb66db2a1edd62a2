"""zoneweaver_sim: a faithful local simulator of the Zoneweaver Agent REST API
(generations 0.2 and 0.3.9), for developing and testing against without an
OmniOS host.

    from zoneweaver_sim import Simulator
    with Simulator(generation="0.3.9") as sim:
        ...  # talk to sim.url
"""
from .sim import Simulator

__all__ = ["Simulator"]
__version__ = "0.1.0"
