from django import forms

from grader.services import MAX_PING_WORK_SECONDS


class WorkerCheckForm(forms.Form):
    work_seconds = forms.TypedChoiceField(
        label="Job length", required=False, coerce=float, empty_value=0.0,
        choices=[("0", "Instant"), ("5", "5 seconds"), ("20", "20 seconds")],
        help_text=f"A longer job shows how the queue behaves while a worker is busy (at most "
                  f"{MAX_PING_WORK_SECONDS:.0f} s).",
    )
