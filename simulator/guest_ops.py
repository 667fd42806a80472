"""What `qm`/`pct` (and the HA stack) do to guests: create, start, stop, snapshot...

Models: the API checks in the order PVE runs them (config exists on *this*
node, quorum where `check_cfs_quorum` is called, locks, running state),
disk allocation on a named storage with the content-type check, tasks with
the user who ran them, snapshots (create, rollback, delete), `set`/`destroy`
writing /etc/pve (refused read-only without quorum), and moving a config to
another node (HA recovery or a manual `mv` in /etc/pve/nodes).
Leaves out: memory/CPU admission, cloud-init, pending changes, replication.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from simulator.errors import PveError
from simulator.guests import LXC_DISK_RE, QEMU_DISK_RE, Guest, Snapshot, format_size
from simulator.pmxcfs import CfsDb
from simulator.storage import StorageDef, parse_volume
from simulator.subsystems import GuestRequest
from simulator.tasks import Task

if TYPE_CHECKING:
    from simulator.cluster import Cluster

NEW_DISK_RE = re.compile(r"^([A-Za-z][\w\-.]*):(\d+(?:\.\d+)?)(,.*)?$")
TASK_PREFIX = {"qemu": "qm", "lxc": "vz"}


class GuestOpsMixin:
    # -- lookups -----------------------------------------------------------------
    def forward_guest_request(self: Cluster, request: GuestRequest) -> str | None:
        """Offer a start/stop/shutdown/migrate to the installed hook (HA); its text or None."""
        hook = self.guest_request_hook
        return hook(self, request) if hook is not None else None

    def find_guest(self: Cluster, vmid: int, view_node: str | None = None) -> Guest | None:
        """The guest's config as `view_node` sees /etc/pve (default: the primary node's view, then any)."""
        if not self.nodes:
            return None
        names = [view_node] if view_node else [self.primary_node(), *sorted(self.nodes)]
        for name in names:
            guest = self.db_of(name).guests.get(vmid)
            if guest is not None:
                return guest
        return None

    def guest_location(self: Cluster, vmid: int, view_node: str | None = None) -> str | None:
        guest = self.find_guest(vmid, view_node)
        return guest.node if guest else None

    def guest_is_running(self: Cluster, vmid: int, view_node: str | None = None) -> bool:
        guest = self.find_guest(vmid, view_node)
        return guest is not None and self.nodes[guest.node].is_running(vmid)

    def guest_local(self: Cluster, node: str, vmid: int, type_: str) -> Guest:
        """The guest whose config lives on `node`, or the real 'does not exist' error."""
        self.require_pmxcfs(node)
        guest = self.db_of(node).guests.get(vmid)
        if guest is None or guest.node != node or guest.type != type_:
            folder = "qemu-server" if type_ == "qemu" else "lxc"
            raise PveError(f"Configuration file 'nodes/{node}/{folder}/{vmid}.conf' does not exist", 2)
        return guest

    def _writable_guest(self: Cluster, node: str, guest: Guest, message: str | None = None) -> Guest:
        db = self.cfs_write_db(node, message or self.readonly_error(node, guest.config_path))
        return db.guests[guest.vmid]

    @staticmethod
    def _check_lock(guest: Guest) -> None:
        if guest.lock:
            raise PveError(f"{'VM' if guest.type == 'qemu' else 'CT'} is locked ({guest.lock})")

    # -- storage.cfg -------------------------------------------------------------------
    def add_storage(self: Cluster, node: str, storage: StorageDef) -> None:
        """Define a storage in `node`'s storage.cfg (cluster-wide once clustered)."""
        self.require_quorum(node)
        if storage.storage in self.db_of(node).storage:
            raise PveError(f"storage ID '{storage.storage}' already defined")
        self.cfs_write_db(node).storage[storage.storage] = storage

    def remove_storage(self: Cluster, node: str, storage_id: str) -> None:
        self.require_quorum(node)
        if storage_id not in self.db_of(node).storage:
            raise PveError(f"storage '{storage_id}' does not exist")
        del self.cfs_write_db(node).storage[storage_id]

    # -- create / destroy / set ------------------------------------------------------
    def create_guest(self: Cluster, node: str, vmid: int, type_: str, options: dict[str, str],
                     user: str = "root@pam") -> Task:
        """`qm create` / `pct create` (the template goes in options['ostemplate'])."""
        self.require_quorum(node)
        other = self.db_of(node).guests.get(vmid)
        if other is not None:
            raise PveError(f"{other.label} already exists on node '{other.node}'")
        config = self._allocate_disks(self.db_of(node), node, vmid, type_, options)
        db = self.cfs_write_db(node)
        db.guests[vmid] = Guest(vmid, type_, node, config)
        return self.quick_task(node, f"{TASK_PREFIX[type_]}create", str(vmid), user)

    def _allocate_disks(self: Cluster, db: CfsDb, node: str, vmid: int, type_: str,
                        options: dict[str, str], existing: Guest | None = None) -> dict[str, str]:
        config = dict(existing.config) if existing else {}
        pattern = QEMU_DISK_RE if type_ == "qemu" else LXC_DISK_RE
        index = 1 + max((_disk_index(d.volid) for d in existing.disks()), default=-1) if existing else 0
        for key in sorted(options):
            value = options[key]
            match = NEW_DISK_RE.match(value) if pattern.match(key) else None
            if match:
                storage = self._disk_storage(db, node, match.group(1), type_)
                volid = storage.volume_id(vmid, index)
                index += 1
                config[key] = f"{volid}{match.group(3) or ''},size={format_size(float(match.group(2)))}"
            else:
                if pattern.match(key) and ":" in value.split(",")[0]:
                    self._known_storage(db, value.split(",")[0])
                config[key] = value
        return config

    def _known_storage(self: Cluster, db: CfsDb, volid: str) -> None:
        storage_id, _ = parse_volume(volid)
        if storage_id not in db.storage:
            raise PveError(f"storage '{storage_id}' does not exist")

    def _disk_storage(self: Cluster, db: CfsDb, node: str, storage_id: str, type_: str) -> StorageDef:
        storage = db.storage.get(storage_id)
        if storage is None:
            raise PveError(f"storage '{storage_id}' does not exist")
        if not storage.available_on(node):
            raise PveError(f"storage '{storage_id}' is not available on node '{node}'")
        content = "images" if type_ == "qemu" else "rootdir"  # messages UNVERIFIED beyond the reference
        if content not in storage.content:
            what = "vm images" if type_ == "qemu" else "container directories"
            raise PveError(f"storage '{storage_id}' does not support {what}")
        return storage

    def destroy_guest(self: Cluster, node: str, vmid: int, type_: str, user: str = "root@pam") -> Task:
        guest = self.guest_local(node, vmid, type_)
        self._check_lock(guest)
        if self.nodes[node].is_running(vmid):
            raise PveError(f"{guest.label} is running - destroy failed")
        db = self.cfs_write_db(node, self.readonly_error(node, guest.config_path))
        del db.guests[vmid]
        return self.quick_task(node, f"{TASK_PREFIX[type_]}destroy", str(vmid), user)

    def set_guest(self: Cluster, node: str, vmid: int, type_: str, options: dict[str, str],
                  delete: list[str] | None = None) -> None:
        guest = self.guest_local(node, vmid, type_)
        self._check_lock(guest)
        config = self._allocate_disks(self.db_of(node), node, vmid, type_, options, guest)
        for key in delete or []:
            config.pop(key, None)
        self._writable_guest(node, guest).config = config

    def set_guest_lock(self: Cluster, node: str, vmid: int, lock: str | None) -> None:
        guest = self.find_guest(vmid, node)
        if guest is None:
            raise PveError(f"no such VM ('{vmid}')")
        writable = self._writable_guest(node, guest)
        if lock is None:
            writable.config.pop("lock", None)
        else:
            writable.config["lock"] = lock

    def move_guest_config(self: Cluster, node: str, vmid: int, target: str) -> None:
        """Move the config to `target`'s directory (HA recovery, or `mv` by hand)."""
        guest = self.find_guest(vmid, node)
        conf = self.conf_of(node)
        if guest is None:
            raise PveError(f"no such VM ('{vmid}')")
        if target != node and (conf is None or target not in conf.nodes):
            raise PveError(f"no such cluster node '{target}'")
        self._writable_guest(node, guest).node = target
        self.log.add(self.clock.now, node, "sim", f"{node}: moved config of {guest.label} to {target}")

    # -- power state ----------------------------------------------------------------------
    def start_guest(self: Cluster, node: str, vmid: int, type_: str = "qemu", user: str = "root@pam") -> Task:
        guest = self.guest_local(node, vmid, type_)
        self.require_quorum(node)
        self._check_lock(guest)
        if guest.config.get("template") == "1":
            raise PveError("you can't start a vm if it's a template")
        if self.nodes[node].is_running(vmid):
            raise PveError(f"{guest.label} already running")  # UNVERIFIED for CTs
        self.nodes[node].set_running(vmid, True)
        self.log.add(self.clock.now, node, "sim", f"{node}: {guest.label} started")
        return self.quick_task(node, f"{TASK_PREFIX[type_]}start", str(vmid), user)

    def stop_guest(self: Cluster, node: str, vmid: int, type_: str = "qemu", user: str = "root@pam",
                   shutdown: bool = False) -> Task:
        guest = self.guest_local(node, vmid, type_)
        self._check_lock(guest)
        running = self.nodes[node].is_running(vmid)
        # UNVERIFIED: `qm stop` on a stopped VM succeeds; shutdown and pct insist it runs.
        if not running and (shutdown or type_ == "lxc"):
            raise PveError(f"{guest.label} not running")
        self.nodes[node].set_running(vmid, False)
        if running:
            self.log.add(self.clock.now, node, "sim", f"{node}: {guest.label} stopped")
        kind = "shutdown" if shutdown else "stop"
        return self.quick_task(node, f"{TASK_PREFIX[type_]}{kind}", str(vmid), user)

    def start_onboot_guests(self: Cluster, data: dict[str, Any]) -> None:
        """pve-guests.service at boot: wait for quorum, then start guests with `onboot: 1`."""
        node = self.nodes[data["node"]]
        if not node.power or node.boot_time != data["boot"]:
            return  # the node went down again since
        if not self.is_quorate(node.name):
            # UNVERIFIED: we retry every 5 s for 2 minutes, then give up like a timed-out startall.
            if data["tries"] < 24:
                self.schedule(5, "onboot", {**data, "tries": data["tries"] + 1})
            return
        for guest in self.db_of(node.name).guests_on(node.name):
            if guest.config.get("onboot") == "1" and not node.is_running(guest.vmid) and not guest.lock:
                # like startall's vm_start, an HA-managed guest becomes an HA start request
                request = GuestRequest(node.name, "root@pam", "start", guest.vmid, guest.type)
                if self.forward_guest_request(request) is None:
                    self.start_guest(node.name, guest.vmid, guest.type, "root@pam")

    # -- snapshots --------------------------------------------------------------------------
    def snapshot_guest(self: Cluster, node: str, vmid: int, type_: str, name: str, user: str = "root@pam",
                       description: str = "", vmstate: bool = False) -> list[str]:
        guest = self.guest_local(node, vmid, type_)
        if name in ("current", "pending"):
            raise PveError(f"unable to use snapshot name '{name}' (reserved name)")
        self._check_lock(guest)
        if guest.config.get("template") == "1":
            raise PveError("you can't take a snapshot if it's a template")
        if name in guest.snapshots:
            raise PveError(f"snapshot name '{name}' already used")
        db = self.db_of(node)
        for disk in guest.disks():
            storage = db.storage.get(disk.storage)
            if not disk.cdrom and (storage is None or not storage.supports_snapshots(type_)):
                raise PveError("snapshot feature is not available")
        writable = self._writable_guest(node, guest)
        base = {k: v for k, v in writable.config.items() if k not in ("parent", "lock")}
        running = self.nodes[node].is_running(vmid)
        writable.snapshots[name] = Snapshot(name, writable.config.get("parent"), self.clock.wall(),
                                            description, vmstate and running, base)
        writable.config["parent"] = name
        prefix = "drive-" if type_ == "qemu" else ""  # UNVERIFIED: the storage layer's progress lines
        lines = [f"snapshotting '{prefix}{d.key}' ({d.volid})" for d in writable.disks() if not d.cdrom]
        self.quick_task(node, f"{TASK_PREFIX[type_]}snapshot", str(vmid), user, lines)
        return lines

    def rollback_guest(self: Cluster, node: str, vmid: int, type_: str, name: str, user: str = "root@pam",
                       start: bool = False) -> None:
        guest = self.guest_local(node, vmid, type_)
        if name not in guest.snapshots:
            raise PveError(f"snapshot '{name}' does not exist")
        self._check_lock(guest)
        writable = self._writable_guest(node, guest)
        snap = writable.snapshots[name]
        writable.config = {**snap.config, "parent": name}
        self.nodes[node].set_running(vmid, snap.vmstate or start)
        self.quick_task(node, f"{TASK_PREFIX[type_]}rollback", str(vmid), user)

    def delete_snapshot(self: Cluster, node: str, vmid: int, type_: str, name: str,
                        user: str = "root@pam") -> None:
        guest = self.guest_local(node, vmid, type_)
        if name not in guest.snapshots:
            raise PveError(f"snapshot '{name}' does not exist")
        self._check_lock(guest)
        writable = self._writable_guest(node, guest)
        snap = writable.snapshots.pop(name)
        for other in writable.snapshots.values():
            if other.parent == name:
                other.parent = snap.parent
        if writable.config.get("parent") == name:
            if snap.parent:
                writable.config["parent"] = snap.parent
            else:
                writable.config.pop("parent")
        self.quick_task(node, f"{TASK_PREFIX[type_]}delsnapshot", str(vmid), user)


def _disk_index(volid: str) -> int:
    match = re.search(r"disk-(\d+)", volid)
    return int(match.group(1)) if match else -1
