import pytest

from leads.models import ScoringSettings, WebFormSettings

WEIGHTS = {"need_weight": 40, "budget_weight": 20, "authority_weight": 20, "timing_weight": 20}


@pytest.fixture
def eager_celery():
    from pipeline_crm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_admin_edits_weights_and_every_stored_score_follows(
    client, admin, rep, make_lead, eager_celery, django_capture_on_commit_callbacks
):
    lead = make_lead(owner=rep, need=3)
    assert lead.score == 30
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/leads/scoringsettings/1/change/", {**WEIGHTS, "hot_threshold": 80, "warm_threshold": 50}
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.score == 40
    assert ScoringSettings.get_solo().hot_threshold == 80


def test_admin_refuses_weights_that_do_not_add_up_to_100(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/leads/scoringsettings/1/change/",
        {**WEIGHTS, "need_weight": 41, "hot_threshold": 70, "warm_threshold": 40},
    )
    assert response.status_code == 200
    assert "must add up to 100 (now 101)" in response.content.decode()
    assert ScoringSettings.get_solo().need_weight == 30


def test_admin_refuses_warm_above_hot(client, admin):
    client.force_login(admin)
    response = client.post(
        "/admin/leads/scoringsettings/1/change/", {**WEIGHTS, "hot_threshold": 50, "warm_threshold": 60}
    )
    assert "warm threshold must be below the hot threshold" in response.content.decode()


def test_settings_are_single_rows(client, admin):
    client.force_login(admin)
    assert client.get("/admin/leads/scoringsettings/add/").status_code == 403
    assert client.get("/admin/leads/webformsettings/add/").status_code == 403
    assert WebFormSettings.objects.count() == 1


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_only_admins_reach_the_scoring_settings(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/admin/leads/scoringsettings/1/change/").status_code == 302
