from django import forms

from customers.models import Tag


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "colour"]

    def validate_unique(self):
        """The service says when the name is taken (whatever its case)."""
