"""The BCC / forwarding address: mail.dropbox.address_for and its inverse token_from_address."""

from mail import dropbox
from mail.models import Mailbox

TOKEN = "0a1b2c3d4e5f6789"


def _mailbox():
    return Mailbox(dropbox_token=TOKEN)


def test_the_address_is_the_dropbox_local_part_plus_the_users_token(settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    assert dropbox.address_for(_mailbox()) == "crm+0a1b2c3d4e5f6789@pipeline.example"


def test_a_detail_in_the_configured_address_is_replaced_by_the_token(settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm+inbox@pipeline.example"
    assert dropbox.address_for(_mailbox()) == "crm+0a1b2c3d4e5f6789@pipeline.example"


def test_without_a_dropbox_address_there_is_no_bcc_address(settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = ""
    assert dropbox.address_for(_mailbox()) == ""
    assert dropbox.token_from_address("crm+0a1b2c3d4e5f6789@pipeline.example") is None


def test_the_token_is_read_back_from_the_address(settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    mailbox = _mailbox()
    assert dropbox.token_from_address(dropbox.address_for(mailbox)) == mailbox.dropbox_token


def test_the_token_is_read_from_a_named_address_in_any_case(settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    assert dropbox.token_from_address('"Pipeline CRM" <CRM+0A1B2C3D4E5F6789@Pipeline.Example>') == "0a1b2c3d4e5f6789"


def test_other_addresses_carry_no_token(settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    for address in (
        "crm@pipeline.example",  # the dropbox itself, without a token
        "crm+@pipeline.example",
        "sales+0a1b2c3d4e5f6789@pipeline.example",  # another local part
        "crm+0a1b2c3d4e5f6789@other.example",  # another domain
        "not an address",
        "",
    ):
        assert dropbox.token_from_address(address) is None, address
