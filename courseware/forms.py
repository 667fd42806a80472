from django import forms

from courseware.roster import MAX_BYTES


class RosterUploadForm(forms.Form):
    roster = forms.FileField(
        label="Roster CSV",
        help_text="Columns: username, email, full name, role (student, ta or instructor). "
                  "Existing accounts are updated; nobody is removed.",
    )

    def clean_roster(self):
        upload = self.cleaned_data["roster"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MiB.")
        return upload
