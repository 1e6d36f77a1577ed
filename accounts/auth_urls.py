"""Log in and out, password reset and change: Django's views (names as Django expects them,
so they are not namespaced) with our forms and templates; the reset request is our view."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import forms, views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=forms.LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_reset/", views.password_reset, name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
