"""pipeline_crm.widgets: the <select> drawn in Python is Django's <select>."""

import re

import pytest
from django import forms

from pipeline_crm import widgets


def normalised(html):
    return re.sub(r">\s+<", "><", str(html)).strip()


class Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Everyone"), ("me", "Me"), ("7", 'O\'Neil & "Sons" <b>')], required=False)
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Team <north>", [("1", "Ann"), ("2", "Bob")]), ("x", "X")], required=False
    )


class QuickChoices(Choices):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = widgets.Select(choices=field.choices)


@pytest.mark.parametrize("data", [None, {"plain": "7", "grouped": "2"}, {"plain": "nope", "grouped": ""}])
def test_select_draws_what_djangos_template_draws(data):
    django_form, quick_form = Choices(data), QuickChoices(data)
    for name in ("plain", "grouped"):
        assert normalised(quick_form[name]) == normalised(django_form[name])
    if data and data["plain"] == "7":
        assert 'value="7" selected' in str(quick_form["plain"])
    assert "&lt;b&gt;" in str(quick_form["plain"])
    assert 'label="Team &lt;north&gt;"' in str(quick_form["grouped"])
