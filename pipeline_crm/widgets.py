from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (YYYY-MM-DD) whatever the language:
    a localised value ("17/02/2027", "17.02.2027") is rejected by the browser and shows an
    empty field, which a save would then turn into a cleared date."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
