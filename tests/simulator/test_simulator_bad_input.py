"""Any command line: never an exception out of the shell; a rejected one changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simlab import lab_cluster

from simulator.cluster import Cluster

WORDS = ["pvecm", "qm", "pct", "corosync-quorumtool", "corosync-cfgtool", "systemctl", "journalctl",
         "hostname", "ssh", "cat", "mv", "help", "power", "network", "link", "partition", "crash", "sleep",
         "ls", "rm", "-rf", "", "--", "'", '"']
SUBS = ["create", "add", "status", "nodes", "expected", "delnode", "qdevice", "setup", "remove", "start",
        "stop", "shutdown", "list", "config", "set", "destroy", "snapshot", "listsnapshot", "rollback",
        "delsnapshot", "migrate", "unlock", "restart", "on", "off", "up", "down", "heal", "corosync",
        "pve-cluster", "-s", "-l", "-siH", "-e", "-u"]
ARGS = ["100", "101", "200", "999", "0", "-1", "99", "1e3", "abc", "pve1", "pve2", "pve3", "pve4", "qnetd",
        "192.168.1.11", "192.168.1.20", "lab", "x" * 20, "--online", "--with-local-disks", "--force",
        "--targetstorage", "nas", "local", "local-lvm", "--memory", "-5", "--scsi0", "local-lvm:4", "nas:1",
        "--restart", "--description", "snap1", "current", "--start", "1", "--delete", "memory", "pve1,pve2|pve3",
        "|", ",", "/etc/pve/corosync.conf", "/etc/pve/nodes/pve1/qemu-server/100.conf", "-n", "5", "\t",
        "ünïcødé", "$(reboot)", ";", "&&", "--votes", "--nodeid", "3"]

structured = st.builds(
    lambda w, s, a: " ".join([w, s, *a]),
    st.sampled_from(WORDS), st.sampled_from(SUBS), st.lists(st.sampled_from(ARGS), max_size=5),
)
noise = st.text(max_size=40)
lines = st.one_of(structured, structured, structured, noise)


class Harness:
    """Keeps one cluster alive across examples; rebuilds it only after a successful command."""

    def __init__(self, make: Callable[[], Cluster]) -> None:
        cluster = make()
        cluster.network("pve3", False)  # one isolated node so quorum errors are reachable too
        self.saved = json.dumps(cluster.to_json(), sort_keys=True)
        self.cluster = cluster

    def check(self, line: str) -> None:
        result = self.cluster.run(self.cluster_node(line), line)
        assert isinstance(result.output, str)
        assert "internal simulator error" not in result.output, (line, result.output)
        if result.ok or "migration aborted" in result.output:
            self.cluster = Cluster.from_json(json.loads(self.saved))  # it changed things; start afresh
            return
        assert result.output, f"{line!r} failed silently"
        after = json.dumps(self.cluster.to_json(), sort_keys=True)
        assert after == self.saved, f"rejected command changed the cluster: {line!r} -> {result.output!r}"

    @staticmethod
    def cluster_node(line: str) -> str:
        return ("pve1", "pve2", "pve3")[len(line) % 3]


_HARNESS: list[Harness] = []


@settings(max_examples=10_000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines)
def test_random_command_lines_never_raise_and_rejected_ones_change_nothing(line: str) -> None:
    if not _HARNESS:
        _HARNESS.append(Harness(lab_cluster))
    _HARNESS[0].check(line)
