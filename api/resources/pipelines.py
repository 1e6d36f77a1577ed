"""Pipelines and their stages, and the lost reasons (read only): what a client needs to
create, move and lose deals. Only the active pipelines, in board order, as the board shows them."""

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from api.pagination import CursorPagination
from deals import selectors
from deals.models import Stage

router = Router(tags=["pipelines"])
lost_reasons_router = Router(tags=["lost-reasons"])


class StageOut(Schema):
    id: int
    name: str
    order: int
    probability: int
    rotting_days: int | None
    expected_days: int | None
    description: str


class PipelineOut(Schema):
    id: int
    name: str
    kind: str
    is_default: bool
    order: int
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(pipeline):
        return list(pipeline.stages.all())


class LostReasonOut(Schema):
    id: int
    name: str
    order: int


def _pipelines():
    stages = Prefetch("stages", queryset=Stage.objects.order_by("order", "id"))
    return selectors.pipeline_list().prefetch_related(stages)


@router.get("/", response=list[PipelineOut], summary="List pipelines")
@paginate(CursorPagination, ordering=("order", "id"))
def pipeline_list(request: HttpRequest):
    """The active pipelines in board order, each with its stages in column order."""
    return _pipelines()


@router.get("/{int:pipeline_id}", response=PipelineOut, summary="Read a pipeline")
def pipeline_read(request: HttpRequest, pipeline_id: int):
    """An active pipeline with its stages; 404 for an unknown or inactive one."""
    found = _pipelines().filter(pk=pipeline_id).first()
    if found is None:
        raise Http404("No such pipeline.")
    return found


@router.get("/{int:pipeline_id}/stages", response=list[StageOut], summary="List a pipeline's stages")
def stage_list(request: HttpRequest, pipeline_id: int):
    """The stages of an active pipeline in column order (all of them: a short list, not paged)."""
    return pipeline_read(request, pipeline_id).stages.all()


@lost_reasons_router.get("/", response=list[LostReasonOut], summary="List lost reasons")
@paginate(CursorPagination, ordering=("order", "id"))
def lost_reason_list(request: HttpRequest):
    """The active lost reasons, as the "lost" dialog offers them (`reason_id` of `POST /deals/{id}/lose`)."""
    return selectors.lost_reason_list()
