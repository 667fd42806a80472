"""Migration of guests between nodes: `qm migrate` and `pct migrate`.

Models: qemu-server's precondition checks in their real order and wording,
online (live) migration of running VMs, offline migration, local disks
(copied offline, mirrored live only with --with-local-disks), --targetstorage
mapping, local devices and local CD-ROMs blocking, the `migrate` lock, a
`qmigrate`/`vzmigrate` task that runs for virtual time growing with memory and
local disk size, and an abort if source or target drop out meanwhile.
pct: restart mode only (live LXC migration is not implemented in PVE either).
Leaves out: bandwidth limits, replication, conntrack state, mapped devices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.errors import NO_QUORUM, PveError
from simulator.guests import Guest
from simulator.migration_log import Plan, completion_lines, stamp
from simulator.tasks import Task

if TYPE_CHECKING:
    from simulator.cluster import Cluster

# UNVERIFIED: what the worker's ssh probe reports when the target is unreachable.
NO_SSH = "Can't connect to destination address using public key"


def duration_text(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_storage_map(text: str | None) -> dict[str, str]:
    """`--targetstorage nas` or `local-lvm:nas,local:nas2` -> {source or '*': target}."""
    if not text:
        return {}
    mapping = {}
    for item in text.split(","):
        source, sep, target = item.partition(":")
        mapping[source if sep else "*"] = target if sep else source
    return mapping


class MigrationMixin:
    def migrate_guest(self: Cluster, node: str, vmid: int, type_: str, target: str, user: str = "root@pam",
                      online: bool = False, with_local_disks: bool = False,
                      targetstorage: str | None = None, restart: bool = False) -> Task:
        """Start the migration task (returns at once, like the API); PveError if refused."""
        if target == node:
            raise PveError("400 Parameter verification failed.\ntarget: target is local node.")
        self.require_quorum(node)
        conf = self.conf_of(node)
        if conf is None or target not in conf.nodes:
            raise PveError(f"no such cluster node '{target}'")
        guest = self.guest_local(node, vmid, type_)
        self._check_lock(guest)
        running = self.nodes[node].is_running(vmid)
        warnings = self._migration_mode_check(guest, running, online, restart)
        mapping = parse_storage_map(targetstorage)
        self._check_target_storage(guest, node, target, mapping)
        writable = self._writable_guest(node, guest)
        writable.config["lock"] = "migrate"
        task = self.start_task(node, "qmigrate" if type_ == "qemu" else "vzmigrate", str(vmid), user)
        task.log.extend(warnings)
        self._run_migration_worker(task, writable, node, target, running, with_local_disks, mapping)
        return task

    def _migration_mode_check(self: Cluster, guest: Guest, running: bool, online: bool,
                              restart: bool) -> list[str]:
        if guest.type == "lxc":
            if running and online:
                raise PveError("lxc live migration is currently not implemented")
            if running and not restart:
                raise PveError("can't migrate running container without --online or --restart")
            return []
        if running and not online:
            raise PveError("can't migrate running VM without --online")
        if online and not running:
            return ["VM isn't running. Doing offline migration instead."]
        return []

    def _check_target_storage(self: Cluster, guest: Guest, node: str, target: str,
                              mapping: dict[str, str]) -> None:
        db = self.db_of(node)
        for disk in guest.disks():
            if disk.cdrom:
                continue
            sid = mapping.get(disk.storage, mapping.get("*", disk.storage))
            storage = db.storage.get(sid)
            if storage is None:
                raise PveError(f"storage '{sid}' does not exist")
            if not storage.available_on(target):
                raise PveError(f"storage '{sid}' is not available on node '{target}'")

    def _run_migration_worker(self: Cluster, task: Task, guest: Guest, node: str, target: str,
                              running: bool, with_local_disks: bool, mapping: dict[str, str]) -> None:
        now = self.clock.wall()
        if guest.type == "lxc" and running:
            task.log.append(f"{stamp(now)} shutdown CT {guest.vmid}")
        task.log.append(f"{stamp(now)} starting migration of {guest.label} to node '{target}' "
                        f"({self.nodes[target].ip})")
        error, local = self._worker_checks(task, guest, node, target, running, with_local_disks, now)
        if error is not None:
            self._abort_migration(task, guest.vmid, node, error, 0.0)
            return
        if guest.type == "qemu" and running:
            task.log.append(f"{stamp(now)} starting VM {guest.vmid} on remote node '{target}'")
        elif guest.type == "lxc" and running:
            self.nodes[node].set_running(guest.vmid, False)
        plan = Plan(guest.vmid, guest.type, running, guest.memory_mib, local)
        self.schedule(plan.total_seconds, "migration", {
            "upid": task.upid, "vmid": guest.vmid, "source": node, "target": target,
            "running": running, "mapping": mapping, "started": self.clock.now,
            "plan": [plan.guest_type, plan.memory_mib, [list(d) for d in plan.local_disks]]})

    def _worker_checks(self: Cluster, task: Task, guest: Guest, node: str, target: str, running: bool,
                       with_local_disks: bool, now: int) -> tuple[str | None, list[tuple[str, str, float]]]:
        if not self._same_partition(node, target):
            return NO_SSH, []
        devices = guest.local_devices()
        if devices:
            return f"can't migrate VM which uses local devices: {', '.join(devices)}", []
        db = self.db_of(node)
        local: list[tuple[str, str, float]] = []
        what = "local disk" if guest.type == "qemu" else "local volume"
        where = "attached" if (running and guest.type == "qemu") else "in current VM config"
        for disk in guest.disks():
            storage = db.storage.get(disk.storage)
            if disk.cdrom:
                if storage is not None and not storage.shared:
                    return "can't migrate local cdrom drive", []
                continue
            if storage is not None and storage.shared:
                continue
            task.log.append(f"{stamp(now)} found {what} '{disk.volid}' ({where})")
            local.append((disk.key, disk.volid, disk.size_gib))
            if running and guest.type == "qemu" and not with_local_disks:
                task.log.append(f"{stamp(now)} can't live migrate attached local disks without "
                                f"with-local-disks option")
                return "can't migrate VM - check log", []
        return None, local

    def _same_partition(self: Cluster, a: str, b: str) -> bool:
        if not (self.nodes[a].power and self.nodes[b].power):
            return False
        return b in self.partition_of(a) and self.link_up(a, b)

    def _abort_migration(self: Cluster, task: Task, vmid: int, node: str, error: str, seconds: float) -> None:
        end = self.clock.wall()
        task.log.append(f"{stamp(end)} ERROR: migration aborted (duration {duration_text(seconds)}): {error}")
        task.finish(end, "migration aborted")
        guest = self.find_guest(vmid, node)
        if guest is not None and guest.lock == "migrate" and self.is_quorate(node):
            self._writable_guest(node, guest).config.pop("lock", None)
        self.log.add(self.clock.now, node, "sim", f"{node}: migration of {vmid} aborted: {error}")

    def finish_migration(self: Cluster, data: dict[str, Any]) -> None:
        """Event handler: the migration's time is up; move the guest or abort."""
        task = self.find_task(data["upid"])
        source, target, vmid = data["source"], data["target"], int(data["vmid"])
        elapsed = self.clock.now - float(data["started"])
        if task is None or not task.running:
            return
        guest = self.find_guest(vmid, source)
        if guest is None or not self._same_partition(source, target) or not self.is_quorate(source):
            self._abort_migration(task, vmid, source, NO_SSH if guest else "guest vanished", elapsed)
            return
        writable = self._writable_guest(source, guest, NO_QUORUM)
        writable.node = target
        writable.config.pop("lock", None)
        before = {d.key: d.volid for d in writable.disks()}
        self._remap_disks(writable, data["mapping"])
        remap = {before[d.key]: d.volid for d in writable.disks() if d.key in before}
        self.nodes[source].set_running(vmid, False)
        if data["running"]:
            self.nodes[target].set_running(vmid, True)
        end = self.clock.wall()
        guest_type, memory, disks = data["plan"]
        plan = Plan(vmid, guest_type, bool(data["running"]), int(memory), [tuple(d) for d in disks])
        task.log.extend(completion_lines(plan, self.clock.wall(float(data["started"])), target, remap))
        task.log.append(f"{stamp(end)} migration finished successfully (duration {duration_text(elapsed)})")
        task.finish(end)
        self.log.add(self.clock.now, source, "sim", f"{source}: {writable.label} migrated to {target}")

    @staticmethod
    def _remap_disks(guest: Guest, mapping: dict[str, str]) -> None:
        if not mapping:
            return
        for disk in guest.disks():
            new = mapping.get(disk.storage, mapping.get("*"))
            if new and new != disk.storage and not disk.cdrom:
                guest.config[disk.key] = guest.config[disk.key].replace(f"{disk.storage}:", f"{new}:", 1)

    def wait_task(self: Cluster, task: Task) -> None:
        """Advance virtual time until `task` ends (what the CLI's foreground worker does)."""
        for _ in range(100_000):
            if not task.running:
                return
            due = [e.due for e in self.clock.pending() if e.data.get("upid") == task.upid]
            if not due:
                return
            self.advance(max(0.0, min(due) - self.clock.now))
