"""Editors sign in to the Wagtail admin with TikTok, in a browser.

The contract: Wagtail's login page has a ``#tiktok-admin-login`` link ("Sign in with
TikTok") that goes, through the site, to TikTok's consent page; after consent an editor
lands on the dashboard (or on ``next`` when it is a path of this site), signed in, and a
member sees a page with ``#tiktok-admin-refused`` and is not signed in.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.support.live_site import LiveSite

from .support import account_id, manage_account, new_context, screenshot, sign_in_through_api

pytestmark = pytest.mark.browser

ERIN = {
    "open_id": "browser-open-erin",
    "union_id": "browser-union-erin",
    "display_name": "Erin Editor",
    "avatar_url": "https://fake-tiktok.invalid/avatars/erin.jpg",
}
MEL = {
    "open_id": "browser-open-mel",
    "union_id": "browser-union-mel",
    "display_name": "Mel Member",
    "avatar_url": "https://fake-tiktok.invalid/avatars/mel.jpg",
}


def known_to_the_site(site: LiveSite, user: dict[str, str]) -> bool:
    rows = site.db.rows(
        "SELECT count(*) FROM tiktok_mobile_auth_tiktokaccount WHERE union_id = ?",
        user["union_id"],
    )
    return rows == [(1,)]


@pytest.fixture
def editor(fake, admin_site, admin_page, tiktok_app) -> dict[str, str]:
    """Erin, a TikTok user the site knows, made an editor by an admin."""
    fake.add_user(**ERIN)
    if not known_to_the_site(admin_site, ERIN):
        sign_in_through_api(admin_site, fake, ERIN["open_id"])
        manage_account(
            admin_page, account_id(admin_site, ERIN["union_id"]), role="Editor", blocked=False
        )
    return ERIN


@pytest.fixture
def member(fake, admin_site, tiktok_app) -> dict[str, str]:
    """Mel, a TikTok user the site knows, with the default role (member: no admin access)."""
    fake.add_user(**MEL)
    if not known_to_the_site(admin_site, MEL):
        sign_in_through_api(admin_site, fake, MEL["open_id"])
    return MEL


def sign_in_with_tiktok(
    page: Page, fake_base_url: str, user: dict[str, str], next_url: str = ""
) -> list[str]:
    """From Wagtail's login page, through TikTok's consent page, back to the site; return
    every URL the browser was sent to on the way."""
    visited: list[str] = []

    def record(request: Request) -> None:
        if request.is_navigation_request():
            visited.append(request.url)

    page.on("request", record)
    page.goto("/admin/login/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    button = page.locator("#tiktok-admin-login")
    assert button.count() == 1, "Wagtail's login page has no #tiktok-admin-login"
    button.click()
    page.wait_for_url(lambda url: url.startswith(f"{fake_base_url}/v2/auth/authorize/"))
    page.locator("select[name=open_id]").select_option(user["open_id"])
    page.locator("#authorize").click()
    page.wait_for_url(lambda url: not url.startswith(fake_base_url))
    page.wait_for_load_state()
    return visited


def expect_dashboard(page: Page, site: LiveSite, user: dict[str, str]) -> None:
    expect(page).to_have_url(f"{site.base_url}/admin/")
    expect(page).to_have_title(re.compile(r"^Dashboard"))
    expect(page.locator(".sidebar-footer__account-label")).to_have_text(user["display_name"])


def test_the_login_page_offers_sign_in_with_tiktok(page):
    page.goto("/admin/login/")
    button = page.locator("#tiktok-admin-login")
    assert button.count() == 1, "Wagtail's login page has no #tiktok-admin-login"
    expect(button).to_contain_text("Sign in with TikTok")
    expect(page.get_by_label("Username")).to_be_visible()  # passwords still work
    screenshot(page, "admin-login.png")


def test_an_editor_signs_in_with_tiktok_and_lands_on_the_dashboard(
    page, admin_site, fake_tiktok, editor
):
    visited = sign_in_with_tiktok(page, fake_tiktok.base_url, editor)
    expect_dashboard(page, admin_site, editor)
    # The button goes through the site (which issues the state), not straight to TikTok.
    at_tiktok = next(i for i, url in enumerate(visited) if url.startswith(fake_tiktok.base_url))
    started_by = urlsplit(visited[at_tiktok - 1])
    assert f"{started_by.scheme}://{started_by.netloc}" == admin_site.base_url
    assert started_by.path != "/admin/login/"


def test_a_member_is_refused_and_not_signed_in(page, admin_site, fake_tiktok, member):
    sign_in_with_tiktok(page, fake_tiktok.base_url, member)
    assert page.url.startswith(admin_site.base_url), page.url
    expect(page.locator("#tiktok-admin-refused")).to_be_visible()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    # What Wagtail says to a user who is signed in but may not use the admin.
    expect(page.get_by_text("You do not have permission to access the admin")).to_have_count(0)


def test_next_is_honoured_for_a_path_of_this_site(page, admin_site, fake_tiktok, editor):
    sign_in_with_tiktok(page, fake_tiktok.base_url, editor, next_url="/admin/pages/")
    expect(page).to_have_url(f"{admin_site.base_url}/admin/pages/")
    expect(page.locator(".sidebar-footer__account-label")).to_have_text(editor["display_name"])


def test_an_off_site_next_lands_on_the_dashboard(page, admin_site, fake_tiktok, editor):
    next_url = "https://evil.example/"
    visited = sign_in_with_tiktok(page, fake_tiktok.base_url, editor, next_url=next_url)
    assert not [url for url in visited if url.startswith(next_url)]
    expect_dashboard(page, admin_site, editor)


def test_a_callback_opened_in_another_browser_is_refused(
    page, browser, admin_site, fake_tiktok, editor
):
    """Login CSRF: the attacker (an editor here, the worst case) signs in up to TikTok's
    redirect back, and sends that callback URL to a victim. The victim's browser gets the
    refusal page and no session; the attacker's own browser can still finish."""
    callback = f"{admin_site.base_url}/api/tiktok-auth-mobile/callback?"
    consent_page = f"{fake_tiktok.base_url}/v2/auth/authorize/"
    page.goto("/admin/login/")
    page.locator("#tiktok-admin-login").click()
    page.wait_for_url(lambda url: url.startswith(consent_page))
    page.locator("select[name=open_id]").select_option(editor["open_id"])
    # The attacker does not follow TikTok's redirect back to the site: the consent's answer
    # is fetched aside (routes do not see redirects) and its Location kept.
    held: list[str] = []

    def hold_back(route: Route) -> None:
        answer = route.fetch(max_redirects=0)
        held.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/plain", body="held back")

    page.route(lambda url: url.startswith(consent_page), hold_back)
    page.locator("#authorize").click()
    expect(page.locator("body")).to_have_text("held back")
    [stolen] = held
    assert stolen.startswith(callback)

    victim_context = new_context(browser, admin_site)
    try:
        victim = victim_context.new_page()
        victim.goto(stolen)
        expect(victim.locator("#tiktok-admin-refused")).to_be_visible()
        expect(victim).to_have_title(re.compile(r"^Sign-in started in another browser"))
        assert "sessionid" not in {cookie["name"] for cookie in victim_context.cookies()}
        victim.goto("/admin/")
        expect(victim).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    finally:
        victim_context.close()

    # The attempt was not spent by the refusal: the attacker's browser (a new tab of it,
    # without the held-back route) can still finish.
    own_tab = page.context.new_page()
    own_tab.goto(stolen)
    expect_dashboard(own_tab, admin_site, editor)
