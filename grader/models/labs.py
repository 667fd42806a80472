"""Labs (loaded from the course's lab folders), students' simulated environments, attempt counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TargetKind(models.TextChoices):
    SIMULATED = "simulated", "Simulated cluster"
    REAL = "real", "Real Proxmox VE cluster"


class Lab(models.Model):
    """One lab as its folder describes it; `load_labs` upserts these by (module, slug)."""

    module = models.ForeignKey("courseware.Module", on_delete=models.CASCADE, related_name="labs")
    slug = models.SlugField(max_length=60)
    number = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="Markdown, rendered without raw HTML.")
    scenario = models.JSONField(default=dict, help_text="The initial scenario (simulator format).")
    rubric = models.JSONField(default=dict, help_text="The rubric as data (DESIGN.md, 'Checks and rubrics').")
    solution = models.TextField(blank=True)
    max_attempts = models.PositiveIntegerField(default=0, help_text="0 means unlimited.")
    submit_interval_seconds = models.PositiveIntegerField(
        default=0, help_text="Rate limit: at least this many seconds between two submissions of one student.")
    due_at = models.DateTimeField(null=True, blank=True)
    late_until = models.DateTimeField(null=True, blank=True, help_text="Submissions accepted until then, late.")
    late_penalty = models.FloatField(default=0.0, help_text="Fraction of the score taken off a late submission.")
    allowed_targets = models.JSONField(default=list, help_text='e.g. ["simulated", "real"]')
    speed_factor = models.FloatField(default=1.0, help_text="Virtual seconds per wall-clock second.")
    console_user = models.CharField(max_length=100, default="root@pam",
                                    help_text="PVE user recorded on the tasks the console runs.")
    content_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["module", "number", "slug"]
        constraints = [models.UniqueConstraint(fields=["module", "slug"], name="grader_lab_unique_slug")]

    def __str__(self) -> str:
        return self.title

    @property
    def course(self):
        return self.module.course

    def allows(self, kind: str) -> bool:
        return kind in (self.allowed_targets or [TargetKind.SIMULATED])

    def closes_at(self):
        return self.late_until or self.due_at


class LabEnvironment(models.Model):
    """A student's own simulated cluster for one lab, saved after every console line.

    `version` is the optimistic lock: a save is a conditional UPDATE on the
    version read, so two requests never overwrite each other's work.
    """

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="environments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_environments")
    state = models.JSONField(help_text="Cluster.to_json() of the student's simulated cluster.")
    version = models.PositiveIntegerField(default=1)
    node = models.CharField(max_length=64, default="pve1", help_text="The node the console is on.")
    node_stack = models.JSONField(default=list, help_text="Nodes to return to on `exit` (ssh nesting).")
    transcript = models.JSONField(default=list, help_text="Recent console lines: [{prompt, line, output}].")
    speed_factor = models.FloatField(default=1.0)
    started_at = models.DateTimeField(help_text="Start of the lab window (reset starts a new one).")
    synced_at = models.DateTimeField(help_text="Wall-clock instant the virtual clock was last advanced to.")
    resets = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lab", "user"], name="grader_env_one_per_student")]

    def __str__(self) -> str:
        return f"{self.lab.slug} for {self.user}"


class AttemptCounter(models.Model):
    """Attempts used by one student on one lab, counted with conditional UPDATEs only."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="attempt_counters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    used = models.PositiveIntegerField(default=0)
    last_submit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lab", "user"], name="grader_attempts_one_per_student")]

    def __str__(self) -> str:
        return f"{self.user} used {self.used} on {self.lab.slug}"
