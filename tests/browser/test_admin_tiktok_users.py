"""TikTok users, in a browser: the listing, the account page, and blocking a user, which
then locks them out of the API."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from .support import (
    account_id,
    connect_with_code,
    open_from_menu,
    screenshot,
    sign_in_through_api,
    success_message,
)

pytestmark = pytest.mark.browser

DANA = {
    "open_id": "browser-open-dana",
    "union_id": "browser-union-dana",
    "display_name": "Dana Doe",
    "avatar_url": "https://fake-tiktok.invalid/avatars/dana.jpg",
}


def test_an_admin_blocks_a_tiktok_user_who_can_then_neither_connect_nor_refresh(
    admin_page, admin_site, fake, tiktok_app
):
    fake.add_user(**DANA)
    signed_in = sign_in_through_api(admin_site, fake, DANA["open_id"])
    page = admin_page

    page.goto("/admin/")
    open_from_menu(page, "TikTok users")
    expect(page).to_have_title(re.compile(r"^TikTok accounts"))
    row = page.get_by_role("row").filter(has_text=DANA["display_name"])
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Member", exact=True)).to_have_count(1)
    screenshot(page, "admin-tiktok-users.png")

    row.get_by_role("link", name=DANA["display_name"]).click()
    page.get_by_role("link", name="Manage role and blocking").click()
    page.get_by_role("checkbox", name="Blocked", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    success_message(page)

    refused = connect_with_code(admin_site, fake, DANA["open_id"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"]["code"] == "account_blocked"
    refresh = requests.post(
        admin_site.url("token/refresh"), json={"refresh": signed_in["refresh"]}, timeout=30
    )
    assert refresh.status_code == 403, refresh.text
    assert refresh.json()["error"]["details"]["code"] == "account_blocked"

    page.goto(f"/admin/tiktok_accounts/inspect/{account_id(admin_site, DANA['union_id'])}/")
    expect(page.locator("dt:text-is('Blocked') + dd")).to_have_text("Yes")
    history = page.locator("table").filter(has=page.get_by_role("columnheader", name="Outcome"))
    events = history.locator("tbody tr")
    expect(events).to_have_count(2)
    expect(events.nth(0)).to_contain_text("Refused")  # newest first
    expect(events.nth(0)).to_contain_text("account_blocked")
    expect(events.nth(1)).to_contain_text("Signed in")
    expect(events.nth(1)).to_contain_text("signed_up")
    screenshot(page, "admin-tiktok-user.png")
