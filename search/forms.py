from django import forms
from django.utils.translation import gettext_lazy as _

from search import selectors


class SearchForm(forms.Form):
    """The query of the header box and the results page. Too short is not an error (the box is
    still being typed in); too long, or a character the database cannot take, is."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=selectors.MAX_LENGTH,
        error_messages={"max_length": _("Search for at most %(limit_value)d characters.")},
    )
    type = forms.ChoiceField(label=_("Show"), required=False, choices=[("", _("everything")), *selectors.KINDS.items()])

    def clean_q(self):
        return selectors.normalise(self.cleaned_data["q"])

    @property
    def too_short(self):
        return self.is_valid() and len(self.cleaned_data["q"]) < selectors.MIN_LENGTH
