"""The access matrix's rows for the webhook pages (docs/api.md, "Webhooks: subscriptions").

A subscription is personal, like an e-mail template: its owner manages it, and so does the
admin, who keeps the installation's integrations (and alone may allow a private target).
Nobody else learns that it exists (404): not the teammate, not the team's manager, because
the secret and the delivery log (which names records) are the owner's."""

from tests.core.access_expectations import ROLES, Expect, _codes, everyone, not_allowed


def owner_and_admin(code):
    return _codes(**{role: (code if role in ("owner", "admin") else 404) for role in ROLES[1:]})


def _subscription(cast):
    from webhooks.models import Subscription

    subscription = Subscription.objects.filter(owner=cast.owner, description="Matrix webhook").first()
    if subscription is None:
        from webhooks import services

        subscription, _secret = services.subscription_create(
            actor=cast.owner, url="https://93.184.216.34/matrix", events=["deal.won"], description="Matrix webhook"
        )
    return {"subscription_id": subscription.pk}


EXPECTATIONS = {
    # Everyone's own list (an admin's holds everyone's); an empty form is bad input (400).
    "webhooks/": Expect(get=everyone(200), post=not_allowed()),
    "webhooks/new/": Expect(get=everyone(200), post=everyone(400)),
    "webhooks/<int:subscription_id>/": Expect(kwargs=_subscription, get=owner_and_admin(200), post=not_allowed()),
    "webhooks/<int:subscription_id>/edit/": Expect(
        kwargs=_subscription, get=owner_and_admin(200), post=owner_and_admin(400)
    ),
    "webhooks/<int:subscription_id>/secret/": Expect(
        kwargs=_subscription, get=owner_and_admin(200), post=not_allowed()
    ),
    "webhooks/<int:subscription_id>/secret/rotate/": Expect(
        kwargs=_subscription, get=not_allowed(), post=owner_and_admin(302)
    ),
    # Re-enabling an active subscription changes nothing and answers as for a disabled one.
    "webhooks/<int:subscription_id>/enable/": Expect(
        kwargs=_subscription, get=not_allowed(), post=owner_and_admin(302)
    ),
    "webhooks/<int:subscription_id>/delete/": Expect(
        kwargs=_subscription, get=not_allowed(), post=owner_and_admin(302)
    ),
}
