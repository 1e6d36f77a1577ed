from django import forms
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (YYYY-MM-DD) whatever the language:
    a localised value ("17/02/2027", "17.02.2027") is rejected by the browser and shows an
    empty field, which a save would then turn into a cleared date."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _attrs(attrs):
    """Django's django/forms/widgets/attrs.html in Python."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    """A <select> drawn in Python: the markup of Django's select.html, without a template
    render per option (a filter bar of ten selects with a hundred options cost the board
    page several milliseconds). Same context, same attributes, same escaping."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                out.append(f'<optgroup label="{conditional_escape(group_name)}">')
            out.extend(
                f'<option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>"
                for option in options
            )
            if group_name:
                out.append("</optgroup>")
        out.append("</select>")
        return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped
