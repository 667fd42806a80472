"""An interactive (or piped) root shell over a simulated cluster.

Models: the `root@pve1:~#` prompt, `ssh NODE` nesting and `exit` returning to
the previous node, and a session on a node that is powered off under it
(`Connection to pve2 closed by remote host.`). Leaves out: line editing,
history, job control.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.cluster import Cluster, CommandResult


@dataclass
class Shell:
    cluster: Cluster
    node: str = "pve1"
    user: str = "root@pam"
    stack: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def prompt(self) -> str:
        return f"root@{self.node}:~# "

    def execute(self, line: str) -> CommandResult:
        result = self.cluster.run(self.node, line, self.user)
        if result.switch_node == ":exit":
            if self.stack:
                left = self.node
                self.node = self.stack.pop()
                result = CommandResult(f"logout\nConnection to {left} closed.", 0)
            else:
                self.closed = True
        elif result.switch_node:
            self.stack.append(self.node)
            self.node = result.switch_node
        return self._drop_dead_session(result)

    def _drop_dead_session(self, result: CommandResult) -> CommandResult:
        if self.stack and not self.cluster.nodes[self.node].power:
            dead = self.node
            self.node = self.stack.pop()
            text = "\n".join(filter(None, [result.output, f"Connection to {dead} closed by remote host."]))
            return CommandResult(text, result.exit_code)
        return result
