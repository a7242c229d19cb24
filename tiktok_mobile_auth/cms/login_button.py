"""System check W012: Wagtail's login page shows "Sign in with TikTok".

The button comes from the plugin's ``wagtailadmin/login.html``, which Django's app template
loader uses only while ``tiktok_mobile_auth`` is listed before ``wagtail.admin`` in
``INSTALLED_APPS``; Wagtail has no hook for its login page. A site with its own
``wagtailadmin/login.html`` (in ``TEMPLATES['DIRS']``) either extends the plugin's or
includes :data:`BUTTON_TEMPLATE`.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.template import Template, TemplateDoesNotExist, engines
from django.template.backends.django import DjangoTemplates
from django.template.loader_tags import ExtendsNode

from tiktok_mobile_auth.conf import get_config

LOGIN_TEMPLATE = "wagtailadmin/login.html"
BUTTON_TEMPLATE = "tiktok_mobile_auth/admin_login_button.html"


def login_page_templates() -> list[Template]:
    """The templates named ``wagtailadmin/login.html`` that the login page is rendered from,
    in order: each one that extends the same name hands on to the next one found."""
    backend = next((b for b in engines.all() if isinstance(b, DjangoTemplates)), None)
    chain: list[Template] = []
    while backend is not None:
        try:
            template, _origin = backend.engine.find_template(
                LOGIN_TEMPLATE, skip=[t.origin for t in chain]
            )
        except TemplateDoesNotExist:
            break
        chain.append(template)
        if not _extends_itself(template):
            break
    return chain


def _extends_itself(template: Template) -> bool:
    return any(
        node.parent_name.token.strip("'\"") == LOGIN_TEMPLATE
        for node in template.nodelist.get_nodes_by_type(ExtendsNode)
    )


@checks.register(checks.Tags.templates, "tiktok_mobile_auth")
def check_login_button(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not get_config(offline=True).enabled:
        return []
    chain = login_page_templates()
    if not chain or any(BUTTON_TEMPLATE in template.source for template in chain):
        return []  # no Wagtail admin login page, or the button is on it
    return [
        checks.Warning(
            f'The Wagtail login page will not show "Sign in with TikTok": {LOGIN_TEMPLATE} '
            f"comes from {chain[0].origin.name}, which does not include the button.",
            hint='List "tiktok_mobile_auth" before "wagtail.admin" in INSTALLED_APPS; if '
            f"the site has its own {LOGIN_TEMPLATE}, add "
            f'{{% include "{BUTTON_TEMPLATE}" %}} to its below_login block.',
            id="tiktok_mobile_auth.W012",
        )
    ]
