"""Grader models: worker liveness and pings (ops), labs, environments, targets, submissions, runs."""

from grader.models.labs import AttemptCounter, Lab, LabEnvironment
from grader.models.ops import Ping, WorkerHeartbeat
from grader.models.runs import GradingRun, Submission
from grader.models.targets import RealTarget

__all__ = ["AttemptCounter", "GradingRun", "Lab", "LabEnvironment", "Ping", "RealTarget", "Submission",
           "WorkerHeartbeat"]
