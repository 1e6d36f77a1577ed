from django.urls import path

from deals import views

app_name = "deals"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:pipeline_id>/", views.board, name="board_pipeline"),
    path("deals/<int:deal_id>/", views.deal_detail, name="detail"),
]
