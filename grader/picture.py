"""The live picture of a student's simulated cluster, as an SVG string (drawn server-side, no script).

Shows: every PVE node (powered off, online, quorate or not), external hosts
such as the QDevice's qnetd box, the corosync links between nodes (cut links
dashed), partitions (nodes that see each other share a colour band), and HA
services under the node they run on with their state. Every text is escaped;
the picture also carries a plain-text summary for screen readers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from simulator.cluster import Cluster
from simulator.errors import PveError

WIDTH, HEIGHT = 720, 420
NODE_W, NODE_H = 150, 64
PARTITION_CLASSES = ["part-a", "part-b", "part-c", "part-d"]


@dataclass
class NodeBox:
    name: str
    x: float
    y: float
    status: str  # off | alone | quorate | inquorate
    label: str
    ip: str
    partition: int
    services: list[tuple[str, str]]


def describe(cluster: Cluster) -> dict[str, Any]:
    """What the picture shows, as data (also used by tests and the text summary)."""
    names = sorted(cluster.nodes)
    partitions = _partitions(cluster, names)
    services = ha_services(cluster)
    nodes = []
    for name in names:
        node = cluster.nodes[name]
        if not node.power:
            status, label = "off", "powered off"
        elif not cluster.is_clustered(name):
            status, label = "alone", "standalone"
        elif cluster.is_quorate(name):
            status, label = "quorate", "quorate"
        else:
            status, label = "inquorate", "no quorum"
        nodes.append({"name": name, "ip": node.ip, "status": status, "label": label,
                      "partition": partitions.get(name, -1),
                      "services": [(sid, s["state"]) for sid, s in sorted(services.items()) if s["node"] == name]})
    links = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if not (cluster.is_clustered(a) and cluster.is_clustered(b)):
                continue
            up = cluster.link_up(a, b) and cluster.nodes[a].power and cluster.nodes[b].power
            links.append({"a": a, "b": b, "up": bool(up)})
    conf = cluster.cluster_config()
    return {"cluster": conf["name"] if conf else None, "nodes": nodes, "links": links,
            "hosts": [{"name": h.name, "ip": h.ip} for h in sorted(cluster.hosts.values(), key=lambda h: h.name)],
            "partitions": len({p for p in partitions.values() if p >= 0}), "services": services}


def _partitions(cluster: Cluster, names: list[str]) -> dict[str, int]:
    groups: list[frozenset[str]] = []
    result: dict[str, int] = {}
    for name in names:
        if not cluster.nodes[name].power or not cluster.is_clustered(name):
            continue
        members = frozenset(cluster.partition_of(name))
        if members not in groups:
            groups.append(members)
        result[name] = groups.index(members)
    return result


def ha_services(cluster: Cluster) -> dict[str, dict[str, str]]:
    """HA services as the current CRM master wrote them in manager_status (empty when none)."""
    for name in sorted(cluster.nodes):
        node = cluster.nodes[name]
        if not (node.power and node.services.get("pve-cluster")):
            continue
        try:
            raw = cluster.cfs_read(name, "ha/manager_status")
        except PveError:  # pmxcfs down on that node: ask the next one
            continue
        if raw:
            try:
                status = json.loads(raw).get("service_status") or {}
            except ValueError:
                return {}
            return {sid: {"node": str(s.get("node", "")), "state": str(s.get("state", ""))}
                    for sid, s in status.items()}
        return {}
    return {}


def render(cluster: Cluster) -> str:
    info = describe(cluster)
    count = len(info["nodes"])
    cx, cy, radius = WIDTH / 2, HEIGHT / 2 - 10, min(WIDTH, HEIGHT) / 2 - 90
    boxes: dict[str, NodeBox] = {}
    for index, node in enumerate(info["nodes"]):
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        x = cx + (radius if count > 1 else 0) * math.cos(angle) * 1.4
        y = cy + (radius if count > 1 else 0) * math.sin(angle)
        boxes[node["name"]] = NodeBox(node["name"], x, y, node["status"], node["label"], node["ip"],
                                      node["partition"], node["services"])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="cluster-picture" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-labelledby="picture-title picture-desc">',
             f'<title id="picture-title">{escape(_title(info))}</title>',
             f'<desc id="picture-desc">{escape(summary(info))}</desc>']
    for link in info["links"]:
        a, b = boxes[link["a"]], boxes[link["b"]]
        cls = "link up" if link["up"] else "link down"
        parts.append(f'<line class="{cls}" x1="{a.x:.0f}" y1="{a.y:.0f}" x2="{b.x:.0f}" y2="{b.y:.0f}">'
                     f'<title>{escape(link["a"])} - {escape(link["b"])}: {"up" if link["up"] else "cut"}</title>'
                     f'</line>')
    for box in boxes.values():
        parts += _node_svg(box)
    for index, host in enumerate(info["hosts"]):
        x, y = 20 + index * 150, HEIGHT - 44
        parts.append(f'<g class="host"><rect x="{x}" y="{y}" width="130" height="30" rx="4"/>'
                     f'<text x="{x + 65}" y="{y + 19}" text-anchor="middle">{escape(host["name"])} '
                     f'{escape(host["ip"])}</text></g>')
    parts.append(f'<text class="caption" x="{WIDTH - 10}" y="{HEIGHT - 12}" text-anchor="end">'
                 f'{escape(_title(info))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _node_svg(box: NodeBox) -> list[str]:
    x, y = box.x - NODE_W / 2, box.y - NODE_H / 2
    part = PARTITION_CLASSES[box.partition % len(PARTITION_CLASSES)] if box.partition >= 0 else "part-none"
    out = [f'<g class={quoteattr(f"node {box.status} {part}")} data-node={quoteattr(box.name)}>',
           f'<rect class="base" x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>',
           f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>',
           f'<text class="name" x="{box.x:.0f}" y="{y + 20:.0f}" text-anchor="middle">{escape(box.name)}</text>',
           f'<text x="{box.x:.0f}" y="{y + 37:.0f}" text-anchor="middle">{escape(box.ip)}</text>',
           f'<text class="state" x="{box.x:.0f}" y="{y + 54:.0f}" text-anchor="middle">{escape(box.label)}</text>']
    for index, (sid, state) in enumerate(box.services[:4]):
        sy = y + NODE_H + 16 + index * 16
        out.append(f'<text class={quoteattr("service " + state)} x="{box.x:.0f}" y="{sy:.0f}" '
                   f'text-anchor="middle">{escape(sid)} ({escape(state)})</text>')
    if len(box.services) > 4:
        out.append(f'<text class="service" x="{box.x:.0f}" y="{y + NODE_H + 16 + 4 * 16:.0f}" '
                   f'text-anchor="middle">+{len(box.services) - 4} more</text>')
    out.append("</g>")
    return out


def _title(info: dict[str, Any]) -> str:
    if info["cluster"] is None:
        return "No cluster yet: standalone nodes"
    quorate = sum(1 for n in info["nodes"] if n["status"] == "quorate")
    split = f", {info['partitions']} partitions" if info["partitions"] > 1 else ""
    return f"Cluster {info['cluster']}: {quorate} of {len(info['nodes'])} nodes quorate{split}"


def summary(info: dict[str, Any]) -> str:
    nodes = "; ".join(f"{n['name']} {n['label']}" for n in info["nodes"])
    cut = [f"{link['a']}-{link['b']}" for link in info["links"] if not link["up"]]
    services = "; ".join(f"{sid} {s['state']} on {s['node']}" for sid, s in sorted(info["services"].items()))
    text = f"{_title(info)}. Nodes: {nodes}."
    if cut:
        text += f" Links down: {', '.join(cut)}."
    if services:
        text += f" HA services: {services}."
    return text
