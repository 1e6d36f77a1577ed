"""Django admin: an admin drags a stage of the pipeline's stage inline to another place and saves;
the stages' order numbers in the database follow, and the page raises no CSP violation."""

from deals.models import Stage


def drag(page, source, target):
    """SortableJS needs real mouse steps; drop on the upper part of the target row (above it)."""
    grip = source.bounding_box()
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 2, y + 2, steps=2)
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 4, steps=20)
    page.wait_for_timeout(300)  # Sortable ignores the pointer while its swap animation runs
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 4 + 1, steps=4)
    page.mouse.up()


def test_admin_drags_a_stage_to_the_top_and_saves(page, live_server, login, admin, pipeline):
    problems = []

    def on_console(msg):
        # Django admin's pages link no favicon: Chromium's own request for one answers 404.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    stages = list(pipeline.stages.order_by("order", "id"))
    numbers = [stage.order for stage in stages]
    login(page, admin)
    page.goto(f"{live_server.url}/admin/deals/pipeline/{pipeline.pk}/change/")
    rows = page.locator("#stages-group tbody tr.form-row.has_original")
    assert rows.count() == len(stages)

    third = rows.nth(2)
    drag(page, third.locator(".stage-drag-handle"), rows.nth(0))

    names = [rows.nth(i).locator("td.field-name input").input_value() for i in range(len(stages))]
    assert names[0] == stages[2].name
    inputs = [rows.nth(i).locator("td.field-order input").input_value() for i in range(len(stages))]
    assert inputs == [str(n) for n in numbers]  # the same numbers, in the rows' new sequence
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".messagelist .success").count() == 1

    saved = list(Stage.objects.filter(pipeline=pipeline).order_by("order").values_list("name", flat=True))
    assert saved == [stages[2].name, stages[0].name, stages[1].name, *(s.name for s in stages[3:])]
    assert not problems, problems
