"""The import rules of pyproject.toml's ``[tool.importlinter]`` hold, and they would catch a
break: ``make test`` fails on an import against the layers, as ``make lint`` does.

The layers, top to bottom: the wiring (urls, wagtail_hooks, apps, checks, management), web,
api | cms, signin, tiktok | storage, the foundation (conf, models, exceptions, error_codes,
signals, proxies, url_rules). The fake TikTok (``testing``) is imported by no other plugin
module, and the plugin never imports the demo site.
"""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.application import use_cases
from importlinter.application.app_config import settings as linter_settings
from importlinter.cli import lint_imports
from wagtail.contrib.settings.views import get_setting_edit_handler

import tiktok_mobile_auth
from tiktok_mobile_auth.cms.forms import TikTokSettingsForm
from tiktok_mobile_auth.models import TikTokSettings

CONFIG = str(Path(__file__).resolve().parents[1] / "pyproject.toml")
LAYERS = "The plugin's layers: each imports only the layers below it"
TESTING = "The fake TikTok (testing) is a test tool: no other plugin module imports it"
DEMO_SITE = "The plugin never imports the demo site"


def test_the_plugin_keeps_its_import_rules(capsys):
    exit_code = lint_imports(config_filename=CONFIG, no_cache=True, no_logo=True)
    assert exit_code == 0, capsys.readouterr().out


def test_every_module_of_the_plugin_has_a_layer():
    # import-linter checks only the modules a layer names: a new root module must join one.
    contracts = tomllib.loads(Path(CONFIG).read_text())["tool"]["importlinter"]["contracts"]
    [layers] = [contract["layers"] for contract in contracts if contract["name"] == LAYERS]
    in_layers = {name for layer in layers for name in re.split(r"\s*[:|]\s*", layer)}
    modules = {module.name for module in pkgutil.iter_modules(tiktok_mobile_auth.__path__)}
    # testing: its own contract; migrations: Django's, they import models only by name.
    assert modules - in_layers == {"testing", "migrations"}


def broken_contracts(monkeypatch, importer: str, imported: str) -> set[str]:
    """The contracts that break once ``importer`` also imports ``imported``."""
    build = linter_settings.GRAPH_BUILDER.build

    def with_the_import(**kwargs) -> grimp.ImportGraph:
        graph = build(**kwargs)
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
        return graph

    monkeypatch.setattr(linter_settings.GRAPH_BUILDER, "build", with_the_import)
    report = use_cases.create_report(use_cases.read_user_options(CONFIG), cache_dir=None)
    return {
        contract.name for contract, check in report.get_contracts_and_checks() if not check.kept
    }


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        # What each was before the rules: the client reached into storage, the model into
        # the admin forms, the errors into the TikTok client.
        ("tiktok_mobile_auth.tiktok.client", "tiktok_mobile_auth.storage.round_trips", LAYERS),
        ("tiktok_mobile_auth.storage.records", "tiktok_mobile_auth.tiktok.client", LAYERS),
        ("tiktok_mobile_auth.models", "tiktok_mobile_auth.cms.forms", LAYERS),
        ("tiktok_mobile_auth.exceptions", "tiktok_mobile_auth.tiktok.errors", LAYERS),
        ("tiktok_mobile_auth.signin.flows", "tiktok_mobile_auth.api.errors", LAYERS),
        ("tiktok_mobile_auth.api.views", "tiktok_mobile_auth.web.oauth", LAYERS),
        ("tiktok_mobile_auth.cms.views", "tiktok_mobile_auth.api.errors", LAYERS),
        ("tiktok_mobile_auth.web.oauth", "tiktok_mobile_auth.urls", LAYERS),
        ("tiktok_mobile_auth.signin.flows", "tiktok_mobile_auth.testing", TESTING),
        ("tiktok_mobile_auth.conf", "cms_site.settings", DEMO_SITE),
    ],
)
def test_an_import_against_the_rules_is_caught(monkeypatch, importer, imported, contract):
    assert broken_contracts(monkeypatch, importer, imported) == {contract}


def test_an_import_down_the_layers_is_allowed(monkeypatch):
    # web above api (the browser views answer refusals with the API's envelope).
    web_uses_the_envelope = ("tiktok_mobile_auth.web.oauth", "tiktok_mobile_auth.api.errors")
    assert broken_contracts(monkeypatch, *web_uses_the_envelope) == set()


def test_the_settings_panel_still_edits_through_the_plugins_form():
    # models.py may not import the cms layer: the cms layer binds the form (cms/settings_edit.py).
    form_class = get_setting_edit_handler(TikTokSettings).get_form_class()
    assert issubclass(form_class, TikTokSettingsForm)
    assert "client_secret" in form_class.base_fields
