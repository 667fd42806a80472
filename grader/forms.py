from django import forms

from grader.services import MAX_PING_WORK_SECONDS


class WorkerCheckForm(forms.Form):
    work_seconds = forms.TypedChoiceField(
        label="Job length", required=False, coerce=float, empty_value=0.0,
        choices=[("0", "Instant"), ("5", "5 seconds"), ("20", "20 seconds")],
        help_text=f"A longer job shows how the queue behaves while a worker is busy (at most "
                  f"{MAX_PING_WORK_SECONDS:.0f} s).",
    )


class SubmitForm(forms.Form):
    """Which target to grade: the student's simulated cluster (empty) or one of their real targets."""

    target = forms.ModelChoiceField(queryset=None, required=False, empty_label="My simulated cluster")

    def __init__(self, *args, targets=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from grader.models import RealTarget

        self.fields["target"].queryset = targets if targets is not None else RealTarget.objects.none()


class RealTargetForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="A name for you, e.g. 'home lab'.")
    host = forms.CharField(max_length=255, help_text="IP address or host name of one PVE node.")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=8006)
    token_id = forms.RegexField(
        max_length=200, regex=r"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+![A-Za-z0-9._-]+$", label="API token ID",
        help_text="USER@REALM!TOKENNAME, e.g. grader@pve!lab. Give it the PVEAuditor role only.",
        error_messages={"invalid": "Write the token ID as USER@REALM!TOKENNAME."})
    token_secret = forms.CharField(
        max_length=200, label="Token secret", widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown again.")
    tls_mode = forms.ChoiceField(choices=[("verify", "Verify the certificate (trusted CA)"),
                                          ("pinned", "Pin the certificate's SHA-256 fingerprint"),
                                          ("insecure", "Do not verify (not recommended)")],
                                 initial="verify", label="TLS")
    fingerprint = forms.RegexField(
        required=False, max_length=100, regex=r"^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$",
        help_text="SHA-256 fingerprint (pvenode cert info), when pinning.",
        error_messages={"invalid": "A SHA-256 fingerprint is 32 hex bytes, with or without colons."})

    shared = forms.BooleanField(required=False, label="Class target: every student of the course may use it",
                                help_text="Instructors only.")

    def __init__(self, *args, instructor: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not instructor:
            del self.fields["shared"]

    def clean(self):
        data = super().clean()
        if data.get("tls_mode") == "pinned" and not data.get("fingerprint"):
            self.add_error("fingerprint", "Give the fingerprint to pin.")
        return data


class SpeedForm(forms.Form):
    speed = forms.FloatField(min_value=0, max_value=1000, label="Speed factor",
                             help_text="Virtual seconds per wall-clock second in students' clusters (1 = real time).")
    username = forms.CharField(required=False, max_length=150, label="Only for this student (username)",
                               help_text="Empty: the whole lab, including clusters already started.")
