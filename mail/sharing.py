"""Who may read a message besides its owner (docs/email.md, "Privacy").

A message is private to the mailbox owner unless the owner shares linked messages (the
default, `Mailbox.Sharing.LINKED`) and it is linked to a deal or a lead; then whoever may see
that deal or lead may read it. `EmailMessage.shared` stores the first half of that rule; the
selectors add the second (the reader's scope on the deal or lead).
"""

from django.db.models import Case, Q, Value, When

from mail.models import Mailbox

LINKED = Q(deal__isnull=False) | Q(lead__isnull=False)


def owner_shares_linked(user):
    """The owner's choice; a user without a mailbox row shares linked messages (the default)."""
    sharing = Mailbox.objects.filter(user=user).values_list("sharing", flat=True).first()
    return (sharing or Mailbox.Sharing.LINKED) == Mailbox.Sharing.LINKED


def is_shared(*, shares_linked, deal_id, lead_id):
    return bool(shares_linked and (deal_id or lead_id))


def shared_expression(shares_linked):
    """The `shared` value of each row, for a queryset update after a link or a preference change."""
    if not shares_linked:
        return Value(False)
    return Case(When(LINKED, then=Value(True)), default=Value(False))


def refresh_shared(owner):
    """Recompute `shared` on all of the owner's messages (after a change of the preference)."""
    from mail.models import EmailMessage

    return EmailMessage.objects.filter(owner=owner).update(shared=shared_expression(owner_shares_linked(owner)))
