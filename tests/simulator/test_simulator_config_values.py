"""Guest configs keep PVE's spelling of booleans: 1 and 0."""

from simulator.cluster import Cluster


def test_boolean_options_are_written_to_the_guest_config_as_one():
    cluster = Cluster.lab_start()
    assert cluster.run("pve1", "pct create 200 local:vztmpl/debian-12.tar.zst --rootfs local-lvm:8 "
                               "--unprivileged 1").exit_code == 0

    config = cluster.run("pve1", "pct config 200").output

    assert "unprivileged: 1" in config.splitlines()
