"""Linking a stored message to contacts, organizations, its thread, and a deal or lead.

Called for every message that is stored (synced or written in the CRM); it must be
idempotent (a re-run of a sync calls it again for nothing new).
"""


def link_message(message):
    """Link `message` (an EmailMessage with its Participant rows saved). Filled in by the linking work."""
    return message
