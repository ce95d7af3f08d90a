"""The OpenAPI document (docs/openapi.json) against two outside judges: Redocly's linter (from the
npm registry, tools/npm) on the document itself, and a JSON Schema validator (Debian's
python3-jsonschema, draft 2020-12 as OpenAPI 3.1 uses it) on the live answers of `ccsim serve`:
every answer, success or problem, must be one the document lists for its operation and status, in
the shape it gives."""

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from test_serve import Server, request

SOURCE_DIR = Path(os.environ["CCSIM_SOURCE_DIR"])
DOCUMENT = SOURCE_DIR / "docs" / "openapi.json"
REDOCLY = SOURCE_DIR / "tools" / "npm" / "node_modules" / ".bin" / "redocly"


def test_redocly_finds_no_problem():
    assert REDOCLY.exists(), "tools/setup installs it (npm ci in tools/npm)"
    done = subprocess.run([str(REDOCLY), "lint", str(DOCUMENT), "--format=json"],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert report["problems"] == [], json.dumps(report["problems"], indent=2)
    assert done.returncode == 0


class Contract:
    def __init__(self):
        self.document = json.loads(DOCUMENT.read_text())
        self.resolver = jsonschema.RefResolver.from_schema(self.document)
        self.checked = set()

    def operation(self, method, template):
        return self.document["paths"][template][method.lower()]

    def check(self, method, template, response, body):
        """Holds one live answer to what the document says of its operation and status."""
        responses = self.operation(method, template)["responses"]
        status = str(response.status)
        assert status in responses, f"{method} {template} answered {status}, not documented"
        documented = responses[status]
        if "$ref" in documented:
            documented = self.resolver.resolve(documented["$ref"])[1]
        content_type = response.getheader("Content-Type")
        assert content_type in documented["content"], (status, content_type)
        schema = documented["content"][content_type]["schema"]
        jsonschema.Draft202012Validator(schema, resolver=self.resolver).validate(json.loads(body))
        self.checked.add((method, template, status))


@pytest.fixture
def served(tmp_path):
    server = Server(tmp_path / "data", "--demo-devices", "3")
    yield server
    server.stop()


def test_live_answers_are_the_documented_ones(served, tmp_path):
    contract = Contract()
    oaks = dict(line.split(",") for line in
                (tmp_path / "data" / "demo-devices.csv").read_text().split()[1:])
    org, token = served.organization, served.token
    devices_template = "/v1/organizations/{organization}/devices"
    devices = f"/v1/organizations/{org}/devices"

    def call(method, template, path, body=None, with_token=True, content_type="application/json"):
        response, text = request(served.connection(), method, path, token if with_token else None,
                                 body, content_type)
        contract.check(method, template, response, text)
        return response.status, (json.loads(text) if text else None)

    assert call("GET", devices_template, devices)[0] == 200
    claim = json.dumps({"serial": "CAM-000001", "oak": oaks["CAM-000001"]})
    assert call("POST", devices_template, devices, claim)[0] == 201
    assert call("POST", devices_template, devices, claim)[0] == 409
    assert call("POST", devices_template, devices, json.dumps({"serial": "X", "oak": "Y"}))[0] == 404
    assert call("POST", devices_template, devices, "{", )[0] == 400
    assert call("POST", devices_template, devices, "a=b", content_type="text/plain")[0] == 415
    assert call("POST", devices_template, devices, "x" * 70000)[0] == 413
    assert call("GET", devices_template, devices, with_token=False)[0] == 401
    assert call("GET", devices_template, "/v1/organizations/org-999999/devices")[0] == 403
    one = devices_template + "/{serial}"
    assert call("GET", one, devices + "/CAM-000001")[0] == 200
    assert call("GET", one, devices + "/CAM-000002")[0] == 404
    audit = "/v1/organizations/{organization}/audit"
    assert call("GET", audit, f"/v1/organizations/{org}/audit?limit=2")[0] == 200
    series = "/v1/organizations/{organization}/task-series"
    task = json.dumps({"action": "set_overlay_text", "parameters": {"text": "hi"},
                       "devices": ["CAM-000001"]})
    status, _ = call("POST", series, f"/v1/organizations/{org}/task-series", task)
    # A device still onboarding (nothing connects to this server) is none the Task Manager
    # reaches: the answer is a problem, documented and validated like any other.
    assert status in (201, 404, 409)
    assert call("GET", series + "/{series}", f"/v1/organizations/{org}/task-series/none")[0] == 404
    assert call("POST", series + "/{series}/cancel",
                f"/v1/organizations/{org}/task-series/none/cancel")[0] == 404
    rollout = "/v1/organizations/{organization}/rollouts/{name}"
    assert call("GET", rollout, f"/v1/organizations/{org}/rollouts/none")[0] == 404
    # Every documented operation was answered at least once.
    documented = {(m.upper(), t) for t, item in contract.document["paths"].items() for m in item}
    assert {(m, t) for m, t, _ in contract.checked} == documented
