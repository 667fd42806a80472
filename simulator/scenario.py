"""Scenarios: an initial topology, steps, and expectations, as YAML.

Format (all keys optional except steps):

    description: two-node cluster loses a node
    seed: 0
    topology:
      nodes: [{name: pve1, ip: 192.168.1.11}, ...]      # default: pve1..3 standalone
      hosts: [{name: qnetd, ip: 192.168.1.20}]          # default with default nodes: qnetd
      cluster: {name: lab, nodes: [pve1, pve2], votes: {pve1: 1}}
      qdevice: {host: 192.168.1.20}
      storages: [{id: nas, type: nfs, content: [images], server: 10.0.0.5, export: /srv/pve}]
      guests: [{vmid: 100, type: qemu, node: pve1, name: web, memory: 2048,
                disks: {scsi0: "nas:32"}, running: true}]
    steps:
      - run: pvecm status            # with optional  node: pve2  and  as: alice@pve
      - fault: power pve2 off
      - delay: 30
    expect:
      - quorate: {pve1: false}
      - guest: {vmid: 100, node: pve1, status: running}
      - split_brain: false

`run_scenario` returns the log (commands with their output, faults, delays,
simulator events, expectation results). Models nothing of PVE itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.cluster import LAB_NODES, LAB_QNETD, Cluster
from simulator.corosync import CorosyncConf, NodeEntry, QDeviceConf
from simulator.errors import PveError
from simulator.guests import Guest, format_size
from simulator.storage import make_storage
from simulator.subsystems import install_builtin_subsystems


class ScenarioError(ValueError):
    """A malformed scenario; the message says what and where."""


@dataclass
class ScenarioResult:
    log: list[str]
    failures: list[str]
    cluster: Cluster
    states: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.log) + "\n"


def load(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with 'steps'")
    return data


def build(data: dict[str, Any]) -> Cluster:
    """The cluster in the scenario's initial state; ScenarioError names what is wrong."""
    try:
        return _build(data)
    except ScenarioError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ScenarioError(f"topology: {type(exc).__name__}: {exc}") from None


def _build(data: dict[str, Any]) -> Cluster:
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping")
    topology = data.get("topology") or {}
    cluster = Cluster(int(data.get("seed", 0)))
    nodes = topology.get("nodes") or [{"name": n, "ip": ip} for n, ip in LAB_NODES]
    for spec in nodes:
        cluster.add_node(str(spec["name"]), str(spec["ip"]))
    hosts = topology.get("hosts")
    if hosts is None and not topology.get("nodes"):
        hosts = [{"name": LAB_QNETD[0], "ip": LAB_QNETD[1]}]
    for spec in hosts or []:
        cluster.add_host(str(spec["name"]), str(spec["ip"]), bool(spec.get("qnetd", True)))
    if topology.get("cluster"):
        _build_cluster(cluster, topology["cluster"], topology.get("qdevice"))
    for spec in topology.get("storages") or []:
        _add_storage(cluster, dict(spec))
    for spec in topology.get("guests") or []:
        _add_guest(cluster, dict(spec))
    install_builtin_subsystems(cluster)
    return cluster


def _build_cluster(cluster: Cluster, spec: dict[str, Any], qdevice: dict[str, Any] | None) -> None:
    members = [str(n) for n in spec.get("nodes") or sorted(cluster.nodes)]
    votes = spec.get("votes") or {}
    first = cluster.nodes[members[0]]
    db = cluster.dbs[first.db]
    conf = CorosyncConf(str(spec.get("name", "lab")), int(spec.get("config_version", len(members))))
    for index, name in enumerate(members, start=1):
        conf.nodes[name] = NodeEntry(name, index, int(votes.get(name, 1)), cluster.nodes[name].ip)
    if qdevice:
        conf.qdevice = QDeviceConf(str(qdevice["host"]), str(qdevice.get("algorithm", "ffsplit")),
                                   int(qdevice.get("votes", 1)))
    db.corosync = conf
    db.lineage = cluster.new_id(f"{conf.cluster_name}-")
    for name in members:
        node = cluster.nodes[name]
        if node.db != db.id:
            del cluster.dbs[node.db]
            node.db = db.id
        node.services["corosync"] = True
        node.service_pids["corosync"] = node.alloc_pid()
    cluster.refresh_membership()


def _add_storage(cluster: Cluster, spec: dict[str, Any]) -> None:
    sid, type_ = str(spec.pop("id")), str(spec.pop("type"))
    content = spec.pop("content", None)
    for db in cluster.dbs.values():
        db.storage[sid] = make_storage(sid, type_, content, **spec)


def _add_guest(cluster: Cluster, spec: dict[str, Any]) -> None:
    vmid, node = int(spec["vmid"]), str(spec["node"])
    type_ = str(spec.get("type", "qemu"))
    db = cluster.db_of(node)
    config = {str(k): str(v) for k, v in (spec.get("config") or {}).items()}
    config["name" if type_ == "qemu" else "hostname"] = str(spec.get("name", f"guest{vmid}"))
    config["memory"] = str(spec.get("memory", 2048 if type_ == "qemu" else 512))
    config["cores"] = str(spec.get("cores", 1))
    for index, (key, value) in enumerate(sorted((spec.get("disks") or {}).items())):
        storage_id, _, size = str(value).partition(":")
        storage = db.storage[storage_id]
        config[key] = f"{storage.volume_id(vmid, index)},size={format_size(float(size))}"
    db.guests[vmid] = Guest(vmid, type_, node, config)
    if spec.get("running"):
        cluster.nodes[node].set_running(vmid, True)


def run_scenario(data: dict[str, Any], roundtrip: bool = False) -> ScenarioResult:
    """Run all steps; with `roundtrip`, save and restore the cluster after every step."""
    cluster = build(data)
    default_node = sorted(cluster.nodes)[0]
    log: list[str] = []
    if data.get("description"):
        log.append(f"# {str(data['description']).strip()}")
    states = []
    for index, step in enumerate(data.get("steps") or []):
        mark = cluster.log.mark()
        log += _run_step(cluster, step, default_node, index)
        log += [f"  ~ [{e.time:g}s] {e.message}" for e in cluster.log.since(mark) if e.source == "sim"]
        if roundtrip:
            cluster = _roundtrip(cluster)
            states.append(cluster.to_json())
    failures = check_expectations(cluster, data.get("expect") or [])
    log += [f"expect FAILED: {f}" for f in failures] or ["expect: all expectations hold"]
    return ScenarioResult(log, failures, cluster, states)


def _roundtrip(cluster: Cluster) -> Cluster:
    saved = cluster.to_json()
    restored = Cluster.from_json(json.loads(json.dumps(saved)))
    if restored.to_json() != saved:
        raise AssertionError("persistence round trip changed the cluster")
    return restored


def _run_step(cluster: Cluster, step: Any, default_node: str, index: int) -> list[str]:
    if not isinstance(step, dict) or len(set(step) & {"run", "fault", "delay"}) != 1:
        raise ScenarioError(f"step {index + 1}: expected one of run / fault / delay, got {step!r}")
    if "delay" in step:
        try:
            cluster.advance(float(step["delay"]))
        except (TypeError, ValueError):
            raise ScenarioError(f"step {index + 1}: delay needs a number of seconds") from None
        return [f"*** delay {step['delay']} (now t={cluster.clock.now:g}s)"]
    if "fault" in step:
        try:
            cluster.apply_fault(str(step["fault"]))
        except PveError as exc:
            raise ScenarioError(f"step {index + 1}: {exc.message}") from None
        return [f"*** {step['fault']}"]
    # `node:` names the node; a bare `on:` also works although YAML 1.1 reads the key as True.
    node = str(step.get("node", step.get("on", step.get(True, default_node))))
    user = str(step.get("as", "root@pam"))
    result = cluster.run(node, str(step["run"]), user)
    lines = [f"root@{node}:~# {step['run']}"]
    if result.output:
        lines += result.output.split("\n")
    if result.exit_code:
        lines.append(f"[exit {result.exit_code}]")
    return lines


def check_expectations(cluster: Cluster, expectations: list[Any]) -> list[str]:
    failures: list[str] = []
    for item in expectations:
        if not isinstance(item, dict) or len(item) != 1:
            failures.append(f"malformed expectation {item!r}")
            continue
        kind, value = next(iter(item.items()))
        checker = CHECKS.get(kind)
        if checker is None:
            failures.append(f"unknown expectation '{kind}'")
            continue
        failures += checker(cluster, value)
    return failures


def _expect_quorate(cluster: Cluster, value: dict[str, bool]) -> list[str]:
    return [f"{node} quorate is {cluster.is_quorate(node)}, expected {want}"
            for node, want in value.items() if cluster.is_quorate(node) != bool(want)]


def _expect_guest(cluster: Cluster, value: dict[str, Any]) -> list[str]:
    vmid = int(value["vmid"])
    view = value.get("view")
    rows = {g["vmid"]: g for g in cluster.guests(view)}
    if vmid not in rows:
        return [f"guest {vmid} does not exist"]
    row = rows[vmid]
    return [f"guest {vmid} {key} is {row.get(key)!r}, expected {want!r}"
            for key, want in value.items() if key not in ("vmid", "view") and row.get(key) != want]


def _expect_split_brain(cluster: Cluster, value: bool) -> list[str]:
    present = bool(cluster.split_brains)
    return [] if present == bool(value) else [f"split brain recorded is {present}, expected {value}"]


def _expect_config_version(cluster: Cluster, value: int) -> list[str]:
    conf = cluster.cluster_config()
    got = conf["config_version"] if conf else None
    return [] if got == value else [f"config_version is {got}, expected {value}"]


def _expect_members(cluster: Cluster, value: dict[str, list[str]]) -> list[str]:
    return [f"{node} sees {cluster.partition_of(node)}, expected {want}"
            for node, want in value.items() if cluster.partition_of(node) != list(want)]


CHECKS: dict[str, Callable[[Cluster, Any], list[str]]] = {
    "quorate": _expect_quorate, "guest": _expect_guest, "split_brain": _expect_split_brain,
    "config_version": _expect_config_version, "members": _expect_members,
}


_NAS = {"id": "nas", "type": "nfs", "content": ["images", "rootdir"], "server": "192.168.1.50",
        "export": "/srv/pve"}
_TWO_NODES = [{"name": "pve1", "ip": "192.168.1.11"}, {"name": "pve2", "ip": "192.168.1.12"}]
_QNETD = [{"name": "qnetd", "ip": "192.168.1.20"}]
LIBRARY: dict[str, dict[str, Any]] = {
    "lab-start": {"description": "three freshly installed standalone nodes (the first lab)"},
    "three-node-cluster": {
        "description": "cluster 'lab' of pve1..pve3, NFS storage 'nas', VM 100 running on pve1",
        "topology": {"cluster": {"name": "lab"}, "storages": [_NAS],
                     "guests": [{"vmid": 100, "node": "pve1", "name": "web", "memory": 2048,
                                 "disks": {"scsi0": "nas:32"}, "running": True}]}},
    "two-node-cluster": {
        "description": "cluster 'duo' of pve1 and pve2 (no QDevice), VM 100 running on pve1",
        "topology": {"nodes": _TWO_NODES, "hosts": _QNETD, "cluster": {"name": "duo"}, "storages": [_NAS],
                     "guests": [{"vmid": 100, "node": "pve1", "name": "web", "disks": {"scsi0": "nas:16"},
                                 "running": True}]}},
    "two-node-qdevice": {
        "description": "cluster 'duo' of pve1 and pve2 with a QDevice on qnetd (192.168.1.20)",
        "topology": {"nodes": _TWO_NODES, "hosts": _QNETD, "cluster": {"name": "duo", "config_version": 3},
                     "qdevice": {"host": "192.168.1.20"}, "storages": [_NAS]}},
}


def library(ref: str) -> dict[str, Any]:
    """A named starting point (a scenario without steps), e.g. `three-node-cluster`."""
    if ref not in LIBRARY:
        raise ScenarioError(f"unknown scenario '{ref}' (known: {', '.join(sorted(LIBRARY))})")
    return json.loads(json.dumps(LIBRARY[ref]))  # a private copy the caller may change
