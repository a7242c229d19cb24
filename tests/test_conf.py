"""The configuration: defaults, the precedence of sources, values read at use."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tiktok_mobile_auth.conf import DEFAULTS, get_config, raw_values

# The default sources include the admin panel, which reads the database.
pytestmark = pytest.mark.django_db

SETTINGS_SOURCE = "tiktok_mobile_auth.conf.django_settings_source"
PANEL_SOURCE = "tests.test_conf.panel_source"

# What the stand-in for a second source (e.g. the Wagtail admin panel) returns.
PANEL: dict[str, Any] = {}


def panel_source() -> dict[str, Any]:
    return dict(PANEL)


@pytest.fixture
def panel(settings, monkeypatch):
    """Use the settings dict, then the panel; ``panel(django={...}, panel={...})`` fills both."""

    def use(*, django: dict[str, Any] | None = None, panel: dict[str, Any] | None = None):
        monkeypatch.setattr("tests.test_conf.PANEL", dict(panel or {}))
        sources = [SETTINGS_SOURCE, PANEL_SOURCE]
        settings.TIKTOK_MOBILE_AUTH = {"CONFIG_SOURCES": sources, **(django or {})}

    return use


# -- defaults -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{}, None])
def test_defaults_apply_when_nothing_is_set(settings, value):
    settings.TIKTOK_MOBILE_AUTH = value
    config = get_config()

    assert config.enabled is True
    assert (config.client_key, config.client_secret) == ("", "")
    assert (config.redirect_app_url, config.callback_url) == ("", "")
    assert config.app_redirect_uris == ()
    assert config.api_base_url == "https://open.tiktokapis.com"
    assert config.auth_base_url == "https://www.tiktok.com"
    assert config.scopes == ("user.info.basic",)
    assert config.default_role == "member"
    assert config.allow_registration is True
    assert config.email_domain == "tiktok.com"
    assert (config.member_group, config.editor_group) == ("Members", "Editors")
    assert config.timeout == (3.05, 10.0)
    assert config.max_response_bytes == 1_000_000
    assert config.adapter == DEFAULTS["ADAPTER"]


def test_no_setting_at_all_gives_the_defaults(settings):
    del settings.TIKTOK_MOBILE_AUTH
    assert get_config().api_base_url == "https://open.tiktokapis.com"


def test_values_are_normalised(settings):
    settings.TIKTOK_MOBILE_AUTH = {
        "CLIENT_KEY": "  key  ",
        "API_BASE_URL": "https://api.example/",
        "DEFAULT_ROLE": " Editor ",
        "EMAIL_DOMAIN": "Example.COM",
        "TIMEOUT": [2, 5],
        "APP_REDIRECT_URIS": "https://a.example/x, ,https://b.example/y",
    }
    config = get_config()
    assert config.client_key == "key"
    assert config.api_base_url == "https://api.example"
    assert config.default_role == "editor"
    assert config.email_domain == "example.com"
    assert config.timeout == (2.0, 5.0)
    assert config.app_redirect_uris == ("https://a.example/x", "https://b.example/y")


def test_false_values_are_not_mistaken_for_unset(settings):
    settings.TIKTOK_MOBILE_AUTH = {"ENABLED": False, "ALLOW_REGISTRATION": False}
    config = get_config()
    assert config.enabled is False
    assert config.allow_registration is False


# -- precedence of sources ------------------------------------------------------------


def test_an_earlier_source_wins(panel):
    panel(django={"CLIENT_KEY": "from-settings"}, panel={"CLIENT_KEY": "from-panel"})
    assert get_config().client_key == "from-settings"


@pytest.mark.parametrize("empty", ["", None, "   "])
def test_an_empty_value_falls_through_to_a_later_source(panel, empty):
    panel(django={"CLIENT_SECRET": empty}, panel={"CLIENT_SECRET": "from-panel"})
    assert get_config().client_secret == "from-panel"


def test_a_key_set_only_in_a_later_source_is_used(panel):
    panel(django={"CLIENT_KEY": "k"}, panel={"CALLBACK_URL": "https://cms.example/cb"})
    config = get_config()
    assert config.client_key == "k"
    assert config.callback_url == "https://cms.example/cb"


def test_empty_everywhere_falls_through_to_the_default(panel):
    panel(django={"API_BASE_URL": ""}, panel={"API_BASE_URL": None})
    assert get_config().api_base_url == "https://open.tiktokapis.com"


def test_unknown_keys_from_a_source_are_ignored(panel):
    panel(panel={"NOT_A_SETTING": "x", "CLIENT_KEY": "k"})
    assert "NOT_A_SETTING" not in raw_values()
    assert get_config().client_key == "k"


def test_the_order_of_sources_decides(settings, monkeypatch):
    monkeypatch.setattr("tests.test_conf.PANEL", {"CLIENT_KEY": "from-panel"})
    settings.TIKTOK_MOBILE_AUTH = {
        "CLIENT_KEY": "from-settings",
        "CONFIG_SOURCES": [PANEL_SOURCE, SETTINGS_SOURCE],
    }
    assert get_config().client_key == "from-panel"


def test_the_settings_dict_is_not_read_when_not_listed(settings, monkeypatch):
    monkeypatch.setattr("tests.test_conf.PANEL", {})
    settings.TIKTOK_MOBILE_AUTH = {"CLIENT_KEY": "from-settings", "CONFIG_SOURCES": [PANEL_SOURCE]}
    assert get_config().client_key == ""


# -- read at use ----------------------------------------------------------------------


def test_override_settings_takes_effect_without_restart():
    before = get_config().client_key
    with override_settings(TIKTOK_MOBILE_AUTH={"CLIENT_KEY": "overridden"}):
        assert get_config().client_key == "overridden"
    assert get_config().client_key == before == "test-client-key"


def test_a_source_is_read_again_on_every_call(panel):
    panel(panel={"CLIENT_KEY": "first"})
    assert get_config().client_key == "first"
    panel(panel={"CLIENT_KEY": "second"})
    assert get_config().client_key == "second"


# -- scopes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scopes"),
    [
        ([], ("user.info.basic",)),
        (["user.info.profile"], ("user.info.basic", "user.info.profile")),
        (
            "user.info.profile, user.info.stats",
            ("user.info.basic", "user.info.profile", "user.info.stats"),
        ),
        (
            ["user.info.profile", "user.info.basic", " user.info.profile ", ""],
            ("user.info.basic", "user.info.profile"),
        ),
    ],
)
def test_scopes_always_include_basic_and_are_deduplicated(settings, value, scopes):
    settings.TIKTOK_MOBILE_AUTH = {"SCOPES": value}
    assert get_config().scopes == scopes


# -- naming what is missing, hiding the secret ---------------------------------------


def test_missing_names_the_environment_variables(settings):
    settings.TIKTOK_MOBILE_AUTH = {"CLIENT_KEY": "k", "EMAIL_DOMAIN": ""}
    config = get_config()
    assert config.missing("CLIENT_KEY", "CLIENT_SECRET", "CALLBACK_URL") == [
        "TIKTOK_CLIENT_SECRET (TIKTOK_MOBILE_AUTH['CLIENT_SECRET'])",
        "TIKTOK_CALLBACK_URL (TIKTOK_MOBILE_AUTH['CALLBACK_URL'])",
    ]


def test_missing_is_empty_when_everything_is_set():
    assert get_config().missing("CLIENT_KEY", "CLIENT_SECRET", "CALLBACK_URL") == []


def test_repr_never_shows_the_secret(settings):
    settings.TIKTOK_MOBILE_AUTH = {"CLIENT_KEY": "the-key", "CLIENT_SECRET": "s3cr3t-value"}
    config = get_config()
    for text in (repr(config), str(config), f"{config}", f"{[config]}"):
        assert "s3cr3t-value" not in text
        assert "the-key" in text


def test_a_single_timeout_number_is_used_for_connect_and_read(settings):
    settings.TIKTOK_MOBILE_AUTH = {**settings.TIKTOK_MOBILE_AUTH, "TIMEOUT": 4}
    assert get_config().timeout == (4.0, 4.0)


# -- the sign-in policies (issue 4) ------------------------------------------------------


def test_the_policies_default_to_the_secure_choices(settings):
    settings.TIKTOK_MOBILE_AUTH = {}
    config = get_config()
    assert config.allow_app_state is False
    assert config.access_token_policy == "minted"
    assert config.login_attempt_ttl == 600
    assert config.storage == "auto"
    assert config.max_request_bytes == 16 * 1024
    assert config.throttle_rates == DEFAULTS["THROTTLE_RATES"]


def test_policy_values_are_normalised_and_rates_merge_over_the_defaults(settings):
    settings.TIKTOK_MOBILE_AUTH = {
        "ACCESS_TOKEN_POLICY": " Any ",
        "STORAGE": "Cache",
        "THROTTLE_RATES": {"connect": "10/min"},
    }
    config = get_config()
    assert (config.access_token_policy, config.storage) == ("any", "cache")
    assert config.throttle_rates == {**DEFAULTS["THROTTLE_RATES"], "connect": "10/min"}


def test_the_site_settings_read_the_new_environment_variables(monkeypatch):
    """cms_site's settings map TIKTOK_ALLOW_APP_STATE, TIKTOK_ACCESS_TOKEN_POLICY and one
    TIKTOK_THROTTLE_<SCOPE> per scope into the dict."""
    import importlib

    import cms_site.settings.base as base

    monkeypatch.setenv("TIKTOK_ALLOW_APP_STATE", "true")
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN_POLICY", "any")
    monkeypatch.setenv("TIKTOK_THROTTLE_CONNECT", "30/min")
    monkeypatch.setenv("TIKTOK_THROTTLE_ME", "off")
    try:
        values = importlib.reload(base).TIKTOK_MOBILE_AUTH
    finally:
        monkeypatch.undo()
        importlib.reload(base)
    assert values["ALLOW_APP_STATE"] is True
    assert values["ACCESS_TOKEN_POLICY"] == "any"
    assert values["THROTTLE_RATES"] == {"connect": "30/min", "me": "off"}


def test_store_tokens_is_off_by_default_and_read_from_the_environment(settings, monkeypatch):
    import importlib

    import cms_site.settings.base as base

    settings.TIKTOK_MOBILE_AUTH = {}
    assert get_config().store_tokens is False
    monkeypatch.setenv("TIKTOK_STORE_TOKENS", "true")
    monkeypatch.setenv("TIKTOK_THROTTLE_WEBHOOK", "5000/min")
    monkeypatch.setenv("TIKTOK_THROTTLE_DISCONNECT", "off")
    try:
        values = importlib.reload(base).TIKTOK_MOBILE_AUTH
    finally:
        monkeypatch.undo()
        importlib.reload(base)
    assert values["STORE_TOKENS"] is True
    assert values["THROTTLE_RATES"] == {"webhook": "5000/min", "disconnect": "off"}
    settings.TIKTOK_MOBILE_AUTH = values
    assert get_config().store_tokens is True
