"""The Proxmox VE HA stack (pve-ha-manager) ported to Python for the simulator.

Models the cluster resource manager (CRM, one master elected through
`ha_manager_lock`), the local resource manager (LRM, one per node, holding
`ha_agent_<node>_lock` and a watchdog), node states, the service state
machine, recovery, fencing, groups, rules, maintenance and disarming. The
state machines see the world only through `env.HAEnv`; `testhw` provides the
regression-harness world (pve-ha-manager's TestHardware), `tester` replays
scenario folders and `cli` is the `ha-manager` command.

Leaves out: dynamic CRS (TOPSIS rebalancing on live load), hardware fencing
(`fence.cfg`) and real process forking for LRM workers.
"""
