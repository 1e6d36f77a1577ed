"""A number too large for the database in a board filter is bad input, not a server error."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("param", ["owner", "persona", "product", "tag"])
def test_a_huge_id_in_a_board_filter_shows_no_deals_instead_of_failing(client, rep, stages, param):
    client.force_login(rep)
    response = client.get("/board/", {param: HUGE})
    assert response.status_code == 200
    poll = client.get("/board/", {param: HUGE}, headers={"HX-Request": "true"})
    assert poll.status_code == 200
