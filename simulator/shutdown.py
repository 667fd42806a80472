"""A clean node shutdown or reboot (systemd's poweroff/reboot target on a PVE node).

Models the order in which a PVE node goes down:
1. the request (`shutdown NODE` / `reboot NODE`, or `shutdown -h now`, `poweroff`,
   `reboot` in the node's shell): systemd-logind logs `System is powering down.` /
   `System is rebooting.` and every subsystem that has `node_shutdown(cluster, node, reboot)`
   hears of it at once (the HA stack: pve-ha-lrm gets its shutdown request and acts on the
   shutdown policy, then pve-ha-crm stops);
2. the node waits, polled every second, while a subsystem's `node_shutdown_busy(cluster, node)`
   is true (pve-ha-lrm freezing, stopping or migrating its services away). Like pve-ha-lrm's
   unit this has no time limit: services that cannot move (migrate policy, strict rules) make
   the shutdown hang "until you manually intervene" (ha-manager docs), e.g. `power NODE off`;
   after HANG_HINT seconds the simulator says so once in its log;
3. pve-guests shuts down every guest still running (`stopall`, highest VMID first);
4. corosync and pmxcfs stop and the node powers off; a reboot powers it on again
   BOOT_DELAY seconds later, and guests with `onboot: 1` start once it is quorate, as after
   any power-on.
The pending shutdown is `Node.shutdown` and its steps are clock events, so both survive
`to_json`/`from_json`; a power fault during the sequence simply ends it.
Leaves out: delayed shutdowns (`shutdown +5`, `shutdown -c`), wall messages in other
sessions, per-guest shutdown timeouts and the `startup: order=,down=` ordering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.errors import PveError
from simulator.subsystems import register_event_handler

if TYPE_CHECKING:
    from simulator.cluster import Cluster

STEP = "node-shutdown"
BOOT = "node-reboot"
POLL = 1.0
HANG_HINT = 300.0  # simulator hint only: a node still draining after 5 minutes probably hangs
GUEST_SHUTDOWN = 5.0  # UNVERIFIED: seconds pve-guests needs for the guests' ACPI shutdown
BOOT_DELAY = 60.0  # UNVERIFIED: firmware + kernel + systemd until corosync and pmxcfs run again


class ShutdownMixin:
    def shutdown_node(self: Cluster, name: str, reboot: bool = False) -> str:
        """Begin a clean poweroff (or reboot) of node `name`; returns a confirmation line."""
        node = self.nodes.get(name)
        if node is None:
            raise PveError(f"unknown node '{name}'", 2)
        if not node.power:
            raise PveError(f"{name} is powered off (try: power {name} on)", 2)
        if node.shutdown is not None:
            raise PveError(f"{name} is already going down ({node.shutdown['kind']})", 2)
        kind = "reboot" if reboot else "poweroff"
        now = self.clock.now
        node.shutdown = {"kind": kind, "since": now}
        self.log.add(now, name, "sim", f"{name}: {'reboot' if reboot else 'shutdown'} requested")
        self.log.add(now, name, "systemd-logind", "System is rebooting." if reboot else "System is powering down.")
        for subsystem in list(self.subsystems.values()):
            hook = getattr(subsystem, "node_shutdown", None)
            if callable(hook):
                hook(self, name, reboot)
        self.schedule(0, STEP, {"node": name, "boot": node.boot_time, "step": "services"})
        return f"{name}: {'reboot' if reboot else 'shutdown'} started"

    def shutting_down(self: Cluster, name: str) -> str | None:
        """`poweroff` or `reboot` while node `name` is going down, else None."""
        pending = self.nodes[name].shutdown
        return pending["kind"] if pending else None

    def _shutdown_busy(self: Cluster, name: str) -> bool:
        for subsystem in list(self.subsystems.values()):
            busy = getattr(subsystem, "node_shutdown_busy", None)
            if callable(busy) and busy(self, name):
                return True
        return False

    def _shutdown_step(self: Cluster, data: dict[str, Any]) -> None:
        node = self.nodes.get(data["node"])
        if node is None or not node.power or node.shutdown is None or node.boot_time != data["boot"]:
            return  # powered off (or rebooted by hand) since
        name, now = node.name, self.clock.now
        if data["step"] == "services":
            if self._shutdown_busy(name):
                if now - node.shutdown["since"] >= HANG_HINT and not node.shutdown.get("hinted"):
                    node.shutdown["hinted"] = True
                    self.log.add(now, name, "sim", f"{name}: shutdown still waiting for pve-ha-lrm (HA services "
                                                   f"that cannot move away); intervene, e.g. power {name} off")
                self.schedule(POLL, STEP, data)
                return
            self._stop_all_guests(name)
            self.schedule(GUEST_SHUTDOWN, STEP, {**data, "step": "poweroff"})
            return
        reboot = node.shutdown["kind"] == "reboot"
        for unit in ("corosync", "pve-cluster"):
            if node.services[unit]:
                self.log.add(now, name, f"systemd:{unit}", f"Stopped {unit}.service.")
        self.log.add(now, name, "sim", f"{name}: {'rebooting' if reboot else 'powered down'} (clean shutdown)")
        self.power(name, False)
        if reboot:
            self.schedule(BOOT_DELAY, BOOT, {"node": name, "boot": node.boot_time})

    def _stop_all_guests(self: Cluster, name: str) -> None:
        """pve-guests' stopall: shut down what still runs here (HA has moved or stopped its own)."""
        node = self.nodes[name]
        if not node.running:
            return
        located = {g.vmid: g for g in self.db_of(name).guests_on(name)} if node.services["pve-cluster"] else {}
        for vmid in sorted(node.running, reverse=True):
            guest = located.get(vmid)
            label = guest.label if guest is not None else f"VM {vmid}"
            self.log.add(self.clock.now, name, "pve-guests", f"Stopping {label} (timeout = 180 seconds)")
            try:
                if guest is None:
                    raise PveError(f"{label}: no config")
                self.stop_guest(name, vmid, guest.type, "root@pam", shutdown=True)
            except PveError as err:  # locked, or pmxcfs gone: the power-off ends it anyway
                self.log.add(self.clock.now, name, "pve-guests", f"{label}: {err.message}")
                node.set_running(vmid, False)
                self.log.add(self.clock.now, name, "sim", f"{name}: {label} stopped")

    def _reboot_power_on(self: Cluster, data: dict[str, Any]) -> None:
        node = self.nodes.get(data["node"])
        if node is None or node.power or node.boot_time != data["boot"]:
            return  # powered on by hand meanwhile
        self.power(node.name, True)


def _on_step(cluster: Cluster, data: dict[str, Any]) -> None:
    cluster._shutdown_step(data)


def _on_boot(cluster: Cluster, data: dict[str, Any]) -> None:
    cluster._reboot_power_on(data)


register_event_handler(STEP, _on_step)
register_event_handler(BOOT, _on_boot)
