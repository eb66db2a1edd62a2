"""A BoxVault simulator per test: public and private boxes, a user, a service account."""

import pytest

from zoneweaver_sim.boxvault import BoxVaultSimulator

BOXES = [
    {"org": "STARTcloud", "name": "debian12", "version": "2025.8.22", "zss_size": 300_000},
    {"org": "STARTcloud", "name": "debian12", "version": "2025.10.1", "zss_size": 300_000},
    {"org": "STARTcloud", "name": "debian12", "version": "2025.9.30", "zss_size": 1000},
    {"org": "STARTcloud", "name": "nosum", "version": "1.0.0", "checksum_type": None, "zss_size": 100_000},
    {"org": "STARTcloud", "name": "md5box", "version": "1.0.0", "checksum_type": "MD5"},
    {"org": "STARTcloud", "name": "sha512box", "version": "1.0.0", "checksum_type": "SHA512"},
    {"org": "acme", "name": "secret", "version": "1.0.0", "is_public": False},
    {"org": "acme", "name": "secret", "version": "1.1.0", "is_public": False},
]


@pytest.fixture()
def bv():
    sim = BoxVaultSimulator(boxes=BOXES, users={"mark": {"password": "mark-password", "orgs": ["acme"]},
                                                "eve": {"password": "eve-password", "orgs": ["other"]}})
    sim.sa_token = sim.add_service_account("mark", "acme")
    with sim:
        yield sim
