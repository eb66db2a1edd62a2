"""The simulated world a trust test runs against: one agent (either generation) with its command
face, and, when asked, a BoxVault registry and a Hyperweaver Server; plus the playbook context
(placeholders of trust_matrix, extra vars holding the secrets)."""

import contextlib
import json
import os
import tempfile

from zoneweaver_sim import Simulator, natdhcp
from zoneweaver_sim.boxvault import BoxVaultSimulator
from zoneweaver_sim.hyperweaver import HyperweaverSimulator
from zw_harness import admin_key_for

HW_PASSWORD = "trust-hyperweaver-password-31337"
BV_PASSWORD = "trust-boxvault-password-4242"


class World:
    def __init__(self, sim, boxvault=None, hyperweaver=None, controller_dir=None):
        self.sim = sim
        self.boxvault = boxvault
        self.hyperweaver = hyperweaver
        self.controller_dir = controller_dir   # files on the controller (an artifact to upload)

    @property
    def ctx(self):
        ctx = {"nat_conf": natdhcp.host_path(self.sim, "/etc/ipf/ipnat.conf"),
               "dhcp_conf": natdhcp.host_path(self.sim, "/etc/dhcpd.conf"),
               "agent_conf": natdhcp.host_path(self.sim, "/etc/zoneweaver-agent/config.yaml"),
               "ipf_conf": natdhcp.host_path(self.sim, "/etc/ipf/ipf.conf"),
               "artifact_src": os.path.join(self.controller_dir or "", "trust.iso"),
               "agent_port": str(self.sim.port), "bv_url": "", "hw_url": ""}
        if self.boxvault is not None:
            ctx["bv_url"] = self.boxvault.url
        if self.hyperweaver is not None:
            ctx["hw_url"] = self.hyperweaver.url
        return ctx

    def secrets(self):
        """The secrets a play uses, as a vault would give them (never written into the playbook)."""
        out = {"agent_key": self.sim.admin_key, "hw_password": HW_PASSWORD}
        if self.boxvault is not None:
            out["bv_token"] = self.boxvault.token
        return out

    def secret_args(self, tmp_path):
        path = tmp_path / "secrets.json"
        path.write_text(json.dumps(self.secrets()))
        return ["-e", "@%s" % path]


@contextlib.contextmanager
def world(generation="0.3.9", boxvault=False, hyperweaver=False, admin_key=True, timing="fast", tls=False):
    key = admin_key_for(generation) if admin_key else None
    with contextlib.ExitStack() as stack:
        sim = stack.enter_context(Simulator(generation=generation, timing=timing, admin_key=key, tls=tls))
        sim.admin_key = key
        natdhcp.seed_files(sim)
        os.makedirs(os.path.dirname(natdhcp.host_path(sim, "/etc/zoneweaver-agent/config.yaml")), exist_ok=True)
        controller_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="zw-trust-"))
        with open(os.path.join(controller_dir, "trust.iso"), "wb") as handle:
            handle.write(b"TRUST-ISO" * 1000)
        bv = hw = None
        if boxvault:
            bv = stack.enter_context(BoxVaultSimulator(
                boxes=[{"org": "STARTcloud", "name": "trustbox", "version": "1.0.0", "zss_size": 4096},
                       {"org": "acme", "name": "private", "version": "1.0.0", "zss_size": 4096, "is_public": False}],
                users={"mark": {"password": BV_PASSWORD, "orgs": ["acme"]}}))
            bv.token = bv.add_service_account("mark", "acme")
            sim.template_sources = [{"name": "boxvault", "url": bv.url, "default": True, "auth_token": bv.token}]
        if hyperweaver:
            hw = stack.enter_context(HyperweaverSimulator(
                agents={}, users={"ops": {"password": HW_PASSWORD, "role": "super-admin"}}))
        yield World(sim, bv, hw, controller_dir)
