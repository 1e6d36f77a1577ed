"""Forms of the import: the upload and the column mapping (one choice per column)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leads import import_encoding
from leads.forms import ENCODING_CHOICES
from transfer import mapping, records


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file (.csv, .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    encoding = forms.ChoiceField(label=_("Encoding (CSV only)"), choices=ENCODING_CHOICES, initial=import_encoding.AUTO)


class MappingForm(forms.Form):
    """`col_<n>`: the field the n-th column fills, or "" to ignore it."""

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        kind = records.get(job.record_type)
        choices = [(mapping.IGNORE, _("— ignore —"))] + [
            (f.name, f"{f.label} *" if f.required else f.label) for f in kind.fields
        ]
        for index, header in enumerate(job.headers):
            target = job.mapping[index] if index < len(job.mapping) else mapping.IGNORE
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=target,
            )

    def targets(self):
        return [self.cleaned_data.get(f"col_{index}") or mapping.IGNORE for index in range(len(self.job.headers))]

    def columns(self):
        return [self[f"col_{index}"] for index in range(len(self.job.headers))]
