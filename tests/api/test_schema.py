"""The OpenAPI document: valid without warnings, the plugin's paths only, served as validated,
and its error codes in step with the error mapping. (tests/integration/test_schemathesis.py
checks the live server against it.)"""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings
from rest_framework.settings import api_settings

from tests.support.api import BASE
from tiktok_mobile_auth import urls
from tiktok_mobile_auth.api.errors import STATUS_NAMES
from tiktok_mobile_auth.api.openapi.error_responses import ERROR_CODES, OPERATION_ERRORS
from tiktok_mobile_auth.api.openapi.view import PluginSchemaView
from tiktok_mobile_auth.api.serializers import MAX_TOKEN_LENGTH
from tiktok_mobile_auth.error_codes import CATALOGUE

PATHS = {
    f"{BASE}/{name}": method
    for name, method in [
        ("authorize", "get"),
        ("callback", "get"),
        ("connect", "post"),
        ("me", "get"),
        ("token/refresh", "post"),
        ("logout", "post"),
        ("disconnect", "post"),
        ("webhook", "post"),
    ]
}


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    """What ``manage.py spectacular --validate --fail-on-warn`` writes (it raises on any
    warning or validation error)."""
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_document_has_the_plugin_endpoints_only(document):
    assert document["openapi"].startswith("3.")
    assert {path: list(methods) for path, methods in document["paths"].items()} == {
        path: [method] for path, method in PATHS.items()
    }
    ids = [operation["operationId"] for _path, _method, operation in operations(document)]
    assert sorted(ids) == sorted(OPERATION_ERRORS)


@pytest.mark.parametrize(
    ("query", "accept", "content_type"),
    [
        ("", None, "application/vnd.oai.openapi"),
        ("?format=json", None, "application/vnd.oai.openapi+json"),
        ("", "application/json", "application/json"),
        ("", "application/yaml", "application/yaml"),
    ],
)
def test_the_served_document_is_the_validated_one(client, document, query, accept, content_type):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    # Public: no credentials needed, and bad ones are not even looked at.
    response = client.get(f"{BASE}/schema/{query}", HTTP_AUTHORIZATION="Bearer junk", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    parse = json.loads if "json" in content_type else yaml.safe_load
    assert parse(response.content) == document


def test_the_schema_view_generates_with_the_plugins_settings_whatever_the_hosts(client):
    # Served from its own settings, whatever SPECTACULAR_SETTINGS says.
    with override_settings(SPECTACULAR_SETTINGS={"TITLE": "Host"}):
        response = client.get(f"{BASE}/schema/?format=json")
    assert response.json()["info"]["title"] == "TikTok mobile sign-in API"


def test_it_documents_the_plugin_without_drf_spectacular_as_default_schema_class(document):
    rest_framework = {"DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema"}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert "openapi" in api_settings.DEFAULT_SCHEMA_CLASS.__module__
        with patched_settings(PluginSchemaView.custom_settings):
            generated = SchemaGenerator().get_schema(public=True)
    assert json.loads(json.dumps(generated)) == document


def test_each_error_response_lists_the_codes_of_its_operation(document):
    for _path, _method, operation in operations(document):
        codes = OPERATION_ERRORS[operation["operationId"]]
        json_errors = {
            int(status): response["content"]["application/json"]["examples"]
            for status, response in operation["responses"].items()
            if int(status) >= 400 and "application/json" in response.get("content", {})
        }
        assert set(json_errors) == {ERROR_CODES[code][0] for code in codes}
        for status, examples in json_errors.items():
            documented = {
                example["value"]["error"]["details"]["code"] for example in examples.values()
            }
            assert documented == {code for code in codes if ERROR_CODES[code][0] == status}
            for example in examples.values():
                error = example["value"]["error"]
                assert example["value"]["data"] is None
                assert (error["status"], error["name"]) == (status, STATUS_NAMES[status])
                assert (
                    f"`{error['details']['code']}`"
                    in operation["responses"][str(status)]["description"]
                )


def test_every_code_the_api_answers_is_documented_by_an_operation():
    documented = {code for codes in OPERATION_ERRORS.values() for code in codes}
    answered = {entry.code for entry in CATALOGUE.values() if entry.status is not None}
    # Left out on purpose: a bug (500), a DRF 404 no plugin URL raises, and the 405 of a
    # wrong method (every operation has one method; schemathesis does not try others).
    assert answered - documented == {"internal_error", "not_found", "method_not_allowed"}
    assert documented <= answered


def test_the_documented_examples_keep_the_statuses_apps_rely_on(document):
    connect = document["paths"][f"{BASE}/connect"]["post"]["responses"]
    examples = {
        example["value"]["error"]["details"]["code"]: (
            example["value"]["error"]["status"],
            example["value"]["error"]["message"],
        )
        for status, response in connect.items()
        if int(status) >= 400
        for example in response["content"]["application/json"]["examples"].values()
    }
    assert examples["registration_closed"] == (
        403,
        "New accounts cannot be created with TikTok on this site.",
    )
    assert examples["email_taken"][0] == 409
    assert examples["tiktok_unavailable"] == (503, "TikTok did not answer in time.")
    assert examples["service_unavailable"] == (
        503,
        "TikTok sign-in is temporarily unavailable. Please try again shortly.",
    )


def test_connect_documents_either_body_with_the_serializers_constraints(document):
    schemas = document["components"]["schemas"]
    connect = document["paths"][f"{BASE}/connect"]["post"]["requestBody"]
    assert connect["required"] is True
    assert set(connect["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert schemas["ConnectRequest"]["oneOf"] == [
        {"$ref": "#/components/schemas/ConnectWithCodeRequest"},
        {"$ref": "#/components/schemas/ConnectWithAccessTokenRequest"},
    ]
    code, token = schemas["ConnectWithCodeRequest"], schemas["ConnectWithAccessTokenRequest"]
    assert sorted(code["required"]) == ["code", "code_verifier"]
    assert token["required"] == ["access_token"]
    assert code["additionalProperties"] is token["additionalProperties"] is False
    assert code["properties"]["code_verifier"]["pattern"] == r"^[A-Za-z0-9\-._~]{32,128}$"
    assert code["properties"]["code"]["maxLength"] == 1024
    assert token["properties"]["access_token"]["maxLength"] == MAX_TOKEN_LENGTH
    assert token["properties"]["access_token"]["pattern"] == r"^[\x21-\x7e]+$"


def test_bearer_jwt_secures_me_and_disconnect_only(document):
    assert document["components"]["securitySchemes"] == {
        "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    assert "security" not in document  # nothing to inherit
    secured = {
        operation["operationId"]: operation["security"]
        for _path, _method, operation in operations(document)
        if "security" in operation
    }
    assert secured == {"me": [{"jwtAuth": []}], "disconnect": [{"jwtAuth": []}]}


def test_redirects_document_their_location(document):
    for name in ("authorize", "callback"):
        found = document["paths"][f"{BASE}/{name}"]["get"]["responses"]["302"]
        assert found["headers"]["Location"]["required"] is True


def test_every_endpoint_of_the_plugins_urls_is_documented(document):
    # A new endpoint must be documented (or consciously left out here).
    undocumented = {"schema", "admin-login"}  # the document itself; the admin's browser login
    names = {pattern.name for pattern in urls.urlpatterns} - undocumented
    assert {reverse(f"tiktok_mobile_auth:{name}") for name in names} == set(document["paths"])


def test_the_document_is_served_when_the_host_keeps_drfs_default_schema_class(tmp_path):
    # A fresh process, as in a host site that never set DEFAULT_SCHEMA_CLASS: the views'
    # documentation must not build on DRF's own AutoSchema (the generator would fail).
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "host_settings.py").write_text(
        "from cms_site.settings.test import *  # noqa\n"
        "REST_FRAMEWORK = {k: v for k, v in REST_FRAMEWORK.items()"
        " if k != 'DEFAULT_SCHEMA_CLASS'}\n"
        "ALLOWED_HOSTS = ['testserver']\n"
    )
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/api/tiktok-auth-mobile/schema/?format=json')\n"
        "print(r.status_code, sorted(r.json()['paths'])[0])\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=root,
        env={
            **__import__("os").environ,
            "PYTHONPATH": f"{tmp_path}:{root}",
            "DJANGO_SETTINGS_MODULE": "host_settings",
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["200", "/api/tiktok-auth-mobile/authorize"]
