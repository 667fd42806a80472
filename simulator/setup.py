"""Creating and changing a cluster: what `pvecm create|add|delnode|expected|qdevice` do.

Models: `pvecm create` (corosync.conf with config_version 1, the node as
nodeid 1), `pvecm add` with the joining node's `assert_joinable` checks and
the cluster side's checks (quorum, unique name and address), the joiner's
/etc/pve replaced by the cluster's, `pvecm delnode`, runtime `pvecm expected`
with votequorum's validation, and `pvecm qdevice setup|remove` (ffsplit for an
even node count, lms with --force for an odd one). Each bump of the nodelist
raises config_version by one.
Leaves out: certificates, SSH keys, extra links (link1..7), and the password
prompt (a join always authenticates).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from simulator.corosync import CorosyncConf, NodeEntry, QDeviceConf, setexpected_valid
from simulator.errors import PveError

if TYPE_CHECKING:
    from simulator.cluster import Cluster

NO_CONF = ("Error: Corosync config '/etc/pve/corosync.conf' does not exist - "
           "is this node part of a cluster?")
CONF_EXISTS = "cluster config '/etc/pve/corosync.conf' already exists"
NO_COROSYNC = "Cannot initialize CMAP service"


def node_fingerprint(node: str) -> str:
    """A stable stand-in for the SHA256 fingerprint of the node's pve-ssl certificate."""
    digest = hashlib.sha256(f"pve-ssl:{node}".encode()).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


class SetupMixin:
    def require_cluster_conf(self: Cluster, node: str) -> CorosyncConf:
        # UNVERIFIED: with pmxcfs stopped /etc/pve is an empty directory, so the file is missing.
        conf = self.conf_of(node) if self.nodes[node].services["pve-cluster"] else None
        if conf is None:
            raise PveError(NO_CONF, 2)
        return conf

    def require_corosync(self: Cluster, node: str) -> None:
        if not self.nodes[node].services["corosync"]:
            raise PveError(NO_COROSYNC, 1)

    def create_cluster(self: Cluster, node: str, name: str, user: str = "root@pam",
                       nodeid: int = 1, votes: int = 1) -> list[str]:
        """`pvecm create NAME` on a standalone node; returns what it prints."""
        self.require_pmxcfs(node)
        if self.conf_of(node) is not None:
            raise PveError(CONF_EXISTS)
        db = self.cfs_write_db(node)
        n = self.nodes[node]
        db.corosync = CorosyncConf(name, 1, {node: NodeEntry(node, nodeid, votes, n.ip)})
        db.lineage = self.new_id(f"{name}-")
        # corosync-keygen's lines come first, as in real `pvecm create` transcripts.
        lines = ["Corosync Cluster Engine Authentication key generator.",
                 "Gathering 2048 bits for key from /dev/urandom.",
                 "Writing corosync key to /etc/corosync/authkey.",
                 "Writing corosync config to /etc/pve/corosync.conf",
                 "Restart corosync and cluster filesystem"]
        self.quick_task(node, "clustercreate", name, user, lines)
        self.log.add(self.clock.now, node, "sim", f"{node}: created cluster '{name}'")
        self._start_corosync(node)
        return lines

    def _start_corosync(self: Cluster, node: str) -> None:
        n = self.nodes[node]
        n.services["corosync"] = True
        n.service_since["corosync"] = self.clock.now
        n.service_pids["corosync"] = n.alloc_pid()
        n.expected_override = None
        self.log.add(self.clock.now, node, "corosync", "  [MAIN  ] Corosync Cluster Engine  starting up")
        self.refresh_membership()

    def _joinable_errors(self: Cluster, node: str) -> list[str]:
        errors = []
        if self.conf_of(node) is not None:
            errors += ["authentication key '/etc/corosync/authkey' already exists", CONF_EXISTS]
        if self.db_of(node).guests_on(node):
            errors.append("this host already contains virtual guests")
        if self.nodes[node].services["corosync"]:
            errors.append("corosync is already running, is this node already in a cluster?!")
        return errors

    def join_cluster(self: Cluster, node: str, host: str, user: str = "root@pam", votes: int = 1,
                     nodeid: int | None = None, force: bool = False, fingerprint: str | None = None) -> list[str]:
        """`pvecm add HOST` run on the joining node; PveError carries the printed lines."""
        self.require_pmxcfs(node)
        # UNVERIFIED: the password prompt is answered for the student (shown as asterisks).
        lines = [f"Please enter superuser (root) password for '{host}': ********"]
        errors = self._joinable_errors(node)
        if errors:
            lines += ["detected the following error(s):", *[f"* {e}" for e in errors]]
            if not force:
                raise PveError("\n".join([*lines, "Check if node may join a cluster failed!"]))
            lines.append("WARNING : detected error but forced to continue!")  # UNVERIFIED wording
        target = self._join_login(node, host, fingerprint, lines)
        lines += ["Login succeeded.", "check cluster join API version",
                  f"No cluster network links passed explicitly, fallback to local node IP "
                  f"'{self.nodes[node].ip}'", "Request addition of this node"]
        self._check_addnode(node, target, nodeid, lines)
        db = self.cfs_write_db(target)
        conf = db.corosync
        assert conf is not None
        conf.nodes[node] = NodeEntry(node, nodeid or conf.next_nodeid(), votes, self.nodes[node].ip)
        conf.config_version += 1
        old = self.nodes[node].db
        self.nodes[node].db = db.id
        if all(n.db != old for n in self.nodes.values()):
            del self.dbs[old]
        lines += ["Join request OK, finishing setup locally", "stopping pve-cluster service",
                  f"backup old database to '/var/lib/pve-cluster/backup/config-{self.clock.wall()}.sql.gz'",
                  "waiting for quorum...OK", "(re)generate node files", "generate new node certificate",
                  "merge authorized SSH keys",
                  "generated new node certificate, restart pveproxy and pvedaemon services",
                  f"successfully added node '{node}' to cluster."]
        self.quick_task(node, "clusterjoin", "", user, lines)
        self.log.add(self.clock.now, node, "sim", f"{node}: joined cluster '{conf.cluster_name}' via {target}")
        self._start_corosync(node)
        return lines

    def _join_login(self: Cluster, node: str, host: str, fingerprint: str | None, lines: list[str]) -> str:
        lines.append(f"Establishing API connection with host '{host}'")
        target = self._join_target(node, host, lines)
        if fingerprint is None:
            lines += [f"The authenticity of host '{host}' can't be established.",
                      f"X509 SHA256 key fingerprint is {node_fingerprint(target)}.",
                      "Are you sure you want to continue connecting (yes/no)? yes"]
        elif fingerprint.upper() != node_fingerprint(target):
            # UNVERIFIED: PVE::APIClient::LWP's refusal of a pinned fingerprint that does not match.
            raise PveError("\n".join([*lines, f"500 Can't connect to {host}:8006 (fingerprint mismatch)"]))
        return target

    def _join_target(self: Cluster, node: str, host: str, lines: list[str]) -> str:
        target = self.resolve_host(host)
        if target is None:
            # UNVERIFIED: LWP's text for an unresolvable name.
            raise PveError("\n".join([*lines, f"500 Can't connect to {host}:8006 (Name or service not known)"]))
        if target not in self.nodes or not self.link_up(node, target):
            raise PveError("\n".join([*lines, f"500 Can't connect to {host}:8006 (No route to host)"]))
        if target == node:
            raise PveError("\n".join([*lines, "500 can't join a cluster through the local node"]))  # UNVERIFIED
        return target

    def _check_addnode(self: Cluster, node: str, target: str, nodeid: int | None, lines: list[str]) -> None:
        def fail(message: str) -> PveError:
            return PveError("\n".join([*lines, message]))

        conf = self.conf_of(target)
        if conf is None:
            raise fail(NO_CONF)  # UNVERIFIED: the join API answers with check_conf_exists' error
        if not self.is_quorate(target):
            raise fail("cluster not ready - no quorum?")
        if node in conf.nodes:
            raise fail(f"can't add existing node '{node}'")
        ip = self.nodes[node].ip
        for entry in conf.by_nodeid():
            if entry.ip == ip:
                raise fail(f"corosync: address '{ip}' already used on link ring0_addr by node '{entry.name}'")
            if nodeid is not None and entry.nodeid == nodeid:
                raise fail(f"Nodeid {nodeid} already used by node '{entry.name}'")  # UNVERIFIED

    def delete_node(self: Cluster, node: str, target: str, user: str = "root@pam") -> list[str]:
        """`pvecm delnode TARGET` run on `node`."""
        self.require_pmxcfs(node)
        conf = self.require_cluster_conf(node)
        if target == node:
            raise PveError("Cannot delete myself from cluster!")
        self.require_quorum(node)
        entry = conf.node_by_name_or_ip(target)
        if entry is None:
            raise PveError(f"Node/IP: {target} is not a known host of the cluster.")
        online = entry.name in self.partition_of(node)
        db = self.cfs_write_db(node)
        assert db.corosync is not None
        del db.corosync.nodes[entry.name]
        db.corosync.config_version += 1
        removed = self.nodes.get(entry.name)
        if removed is not None and removed.db == db.id:
            clone = db.copy(self.new_id("db"))  # the removed node keeps its last view
            self.dbs[clone.id] = clone
            removed.db = clone.id
        # `corosync-cfgtool -k` prints the first line before it tries (corosync-cfgtool.c killnode_do).
        lines = [f"Killing node {entry.nodeid}"]
        if not online:
            lines.append("Could not kill node (error = CS_ERR_NOT_EXIST)")
        self.log.add(self.clock.now, node, "sim", f"{node}: removed node {entry.name} from the cluster")
        self.refresh_membership()
        return lines

    def set_expected(self: Cluster, node: str, expected: int) -> None:
        """`pvecm expected N`: a runtime override for every member of `node`'s partition."""
        self.require_cluster_conf(node)
        self.require_corosync(node)
        view = self.views.get(node)
        if view is None or not setexpected_valid(expected, view.total_votes, view.quorate):
            raise PveError("Unable to set expected votes: CS_ERR_INVALID_PARAM", 1)
        for member in view.members:
            self.nodes[member].expected_override = expected
        self.log.add(self.clock.now, node, "sim", f"{node}: expected votes set to {expected} "
                     f"on {','.join(view.members)}")
        self.refresh_membership()

    def _require_all_online(self: Cluster, node: str, conf: CorosyncConf) -> None:
        members = self.partition_of(node)
        for entry in sorted(conf.nodes.values(), key=lambda e: e.name):
            if entry.name not in members:
                raise PveError(f"All nodes must be online! Node {entry.name} is offline, aborting.")

    def qdevice_setup(self: Cluster, node: str, address: str, force: bool = False) -> list[str]:
        """`pvecm qdevice setup ADDRESS` (checks in pvecm.pm's order)."""
        conf = self.require_cluster_conf(node)
        self._require_all_online(node, conf)
        if conf.qdevice is not None and not force:
            raise PveError("QDevice already configured!")
        if len(conf.nodes) % 2 == 1 and not force:
            raise PveError("Clusters with an odd node count are not officially supported!")
        host = self.resolve_host(address)
        if host is None or host not in self.hosts or not self.link_up(node, host) or not self.hosts[host].qnetd:
            # UNVERIFIED: run_command's failure text when ssh-copy-id cannot reach / use the host.
            raise PveError(f"command 'ssh-copy-id -i /root/.ssh/id_rsa root@{address}' failed: exit code 1")
        if conf.qdevice is not None:
            raise PveError("Qdevice already configured, must be removed before setting up new one!")
        self.require_quorum(node)
        algorithm = "lms" if len(conf.nodes) % 2 == 1 else "ffsplit"
        votes = conf.node_votes() - 1 if algorithm == "lms" else 1
        db = self.cfs_write_db(node)
        assert db.corosync is not None
        db.corosync.qdevice = QDeviceConf(address, algorithm, votes)
        db.corosync.config_version += 1
        self.refresh_membership()
        self.log.add(self.clock.now, node, "sim", f"{node}: QDevice {address} added ({algorithm})")
        return self._qdevice_setup_lines(conf)

    @staticmethod
    def _qdevice_setup_lines(conf: CorosyncConf) -> list[str]:
        # pvecm.pm's own INFO lines (each printed after a blank line); the certutil, scp and
        # systemctl output between them is left out (UNVERIFIED: cfgtool -R's two lines).
        lines = []
        for step in ("initializing qnetd server", "copying CA cert and initializing on all nodes",
                     "generating cert request", "copying exported cert request to qnetd server",
                     "sign and export cluster cert", "copy exported CRT", "import certificate",
                     "copy and import pk12 cert to all nodes", "add QDevice to cluster configuration"):
            lines += ["", f"INFO: {step}"]
        for entry in sorted(conf.nodes.values(), key=lambda e: e.name):
            lines += ["", f"INFO: start and enable corosync qdevice daemon on node '{entry.name}'..."]
        return [*lines, "Reloading corosync.conf...", "Done"]

    def qdevice_remove(self: Cluster, node: str) -> list[str]:
        conf = self.require_cluster_conf(node)
        self._require_all_online(node, conf)
        if conf.qdevice is None:
            raise PveError("No QDevice configured!")
        self.require_quorum(node)
        db = self.cfs_write_db(node)
        assert db.corosync is not None
        db.corosync.qdevice = None
        db.corosync.config_version += 1
        self.log.add(self.clock.now, node, "sim", f"{node}: QDevice removed")
        self.refresh_membership()
        return ["Reloading corosync.conf...", "Done", "", "Removed Qdevice."]
