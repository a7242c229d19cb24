""" "TikTok users" in the Wagtail admin: listing, search, filters, the account page with its
sign-in history, and the block / role / unlink actions, all on Wagtail's ModelViewSet.

Accounts are only ever created by signing in with TikTok, so there is no "add" view. The
edit view manages the account (role, blocked); the delete view unlinks it (the Django user
stays, without TikTok sign-in). Every change is in Wagtail's audit log.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Max, Q, QuerySet
from django.utils.html import format_html
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from tiktok_mobile_auth.conf import ROLE_EDITOR, ROLE_MEMBER, get_config
from tiktok_mobile_auth.models import SignInEvent, TikTokAccount
from tiktok_mobile_auth.signin import account_lookup, accounts

ROLE_CHOICES = [(ROLE_MEMBER, "Member"), (ROLE_EDITOR, "Editor")]
HISTORY_LENGTH = 50


def annotated(queryset: QuerySet[TikTokAccount]) -> QuerySet[TikTokAccount]:
    """Accounts with their user, role, blocked flag and last sign-in in one query."""
    last_success = Max("sign_in_events__created_at", filter=Q(sign_in_events__outcome="success"))
    return queryset.select_related("user").annotate(
        user_is_editor=account_lookup.user_is_editor(get_config().editor_group),
        last_sign_in_at=last_success,
    )


class AvatarColumn(Column):
    def get_value(self, instance: TikTokAccount) -> Any:
        if not instance.avatar_url.startswith("https://"):
            return ""
        return format_html(
            '<img src="{}" alt="" width="32" height="32" loading="lazy" '
            'referrerpolicy="no-referrer" style="border-radius: 50%">',
            instance.avatar_url,
        )


class TikTokAccountFilterSet(WagtailFilterSet):
    role = django_filters.ChoiceFilter(choices=ROLE_CHOICES, method="filter_role", label="Role")
    blocked = django_filters.BooleanFilter(method="filter_blocked", label="Blocked")

    class Meta:
        model = TikTokAccount
        fields: list[str] = []

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(user_is_editor=value == ROLE_EDITOR)

    def filter_blocked(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.filter(user__is_active=not value)


class ManageAccountForm(WagtailAdminModelForm):
    """Role and blocking act on the linked Django user, not on the account row."""

    role = forms.ChoiceField(choices=ROLE_CHOICES, widget=forms.RadioSelect)
    blocked = forms.BooleanField(
        required=False,
        help_text="A blocked user gets no new tokens; their refresh tokens are revoked now.",
    )

    class Meta:
        model = TikTokAccount
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.instance.user
        self.initial["role"] = accounts.role_of(user, get_config())
        self.initial["blocked"] = not user.is_active

    def save(self, commit: bool = True) -> TikTokAccount:
        account = super().save(commit=commit)
        user = account.user
        if "role" in self.changed_data:
            accounts.set_role(user, self.cleaned_data["role"], get_config())
        if "blocked" in self.changed_data:
            accounts.set_blocked(user, self.cleaned_data["blocked"])
        return account


class AccountPermissionPolicy(ModelPermissionPolicy):
    """Nobody adds TikTok accounts by hand: they come from TikTok sign-in only."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "add" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> Any:
        return super().users_with_any_permission([a for a in actions if a != "add"])


class AccountIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[TikTokAccount]:
        return annotated(super().get_base_queryset())


class AccountInspectView(generic.InspectView):
    template_name = "tiktok_mobile_auth/account_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sign_in_events"] = SignInEvent.objects.filter(account=self.object)[:HISTORY_LENGTH]
        context["role"] = accounts.role_of(self.object.user, get_config())
        return context


class TikTokAccountViewSet(ModelViewSet):
    model = TikTokAccount
    icon = "user"
    menu_label = "TikTok users"
    menu_order = 290
    add_to_admin_menu = True
    index_view_class = AccountIndexView
    inspect_view_class = AccountInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "display_name",
        "username",
        "union_id",
        "open_id",
        "user",
        "scopes",
        "created_at",
        "updated_at",
    ]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("role"), FieldPanel("blocked")], base_form_class=ManageAccountForm
    )
    search_fields = ["display_name", "username", "union_id", "open_id", "user__username"]
    filterset_class = TikTokAccountFilterSet
    list_display = [
        AvatarColumn("avatar", label=""),
        TitleColumn("display_name", label="Display name", url_name="tiktok_accounts:inspect"),
        Column("username", label="TikTok username"),
        Column("user", label="User"),
        Column("role", label="Role", accessor=lambda a: "Editor" if a.user_is_editor else "Member"),
        BooleanColumn("blocked", label="Blocked", accessor=lambda a: not a.user.is_active),
        DateColumn("created_at", label="Created"),
        DateColumn("last_sign_in_at", label="Last sign-in"),
    ]


tiktok_account_viewset = TikTokAccountViewSet("tiktok_accounts")
