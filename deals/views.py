from django.shortcuts import get_object_or_404, render

from deals import selectors
from deals.models import Pipeline


def board(request, pipeline_id=None):
    """The pipeline board (a first version: the columns and their first cards)."""
    if pipeline_id is None:
        pipeline = selectors.pipeline_get_default()
    else:
        pipeline = get_object_or_404(selectors.pipeline_list(), pk=pipeline_id)
    columns = []
    if pipeline is not None:
        deals = selectors.deal_list_for_user(user=request.user).filter(selectors.open_deals_q())
        for stage in selectors.stage_list(pipeline=pipeline):
            columns.append({"stage": stage, "deals": list(deals.filter(stage=stage).order_by("position", "id")[:25])})
    return render(
        request,
        "deals/board.html",
        {"pipeline": pipeline, "pipelines": Pipeline.objects.filter(is_active=True), "columns": columns},
    )


def deal_detail(request, deal_id):
    deal = selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    return render(request, "deals/deal_detail.html", {"deal": deal})
