"""/openapi.json describes every endpoint; /docs and /docs/redoc render offline in headless Chromium."""
import shutil
import subprocess

import pytest
import requests

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--virtual-time-budget=15000", "--dump-dom"]


def render(url: str, profile) -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (scripts/setup test installs it)")
    # No proxy and no route off the machine: any CDN request would fail, so what renders came from us.
    result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1", url],
                            capture_output=True, text=True, timeout=90)
    return result.stdout


def test_openapi_describes_every_route(app, server):
    spec = requests.get(f"{server.url}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if method in ("get", "post", "delete", "put", "patch")}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/2010-04-01"):
            continue
        path = rule.rule.replace("<string:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in /openapi.json"
    assert spec["components"]["securitySchemes"]["twilioBasic"]["scheme"] == "basic"


def test_swagger_ui_lists_the_operations_offline(server, tmp_path):
    html = requests.get(f"{server.url}/docs").text
    assert "//cdn" not in html and "https://" not in html
    dom = render(f"{server.url}/docs", tmp_path / "swagger")
    assert "opblock" in dom, dom[:2000]
    for summary in ("List the account and its subaccounts", "Create a subaccount", "Fetch an account",
                    "Create an API key"):
        assert summary in dom


def test_redoc_renders_offline(server, tmp_path):
    dom = render(f"{server.url}/docs/redoc", tmp_path / "redoc")
    assert "Create a subaccount" in dom and "Fetch an account" in dom
