"""The members page's form for adding many customers at once."""

from __future__ import annotations

from django import forms


class MemberBulkAddForm(forms.Form):
    """A pasted list of customer numbers or email addresses (`services.member_bulk_add`)."""

    customers = forms.CharField(
        label="Customer numbers or emails",
        widget=forms.Textarea(
            attrs={"rows": 4, "cols": 50, "placeholder": "c-1001\nanna@example.com, c-1002"}
        ),
        help_text="One per line, or separated by commas. Each becomes a manual member; lines "
        "that name no customer are listed. For a customer acting for a legal entity, add the "
        "member above.",
    )
