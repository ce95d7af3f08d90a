"""ccsim serve on loopback: TLS 1.3 only (openssl s_client is the outside peer), the REST API with
the demo tenant's token, problem details for what the transport refuses, a slow client that
stalls no one, the OpenAPI document, a clean stop on SIGTERM, and its refusals of bad options."""

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

BINARY = Path(os.environ["CCSIM_BINARY"])
SOURCE_DIR = Path(os.environ["CCSIM_SOURCE_DIR"])


class Server:
    def __init__(self, data, *extra, demo=True):
        args = [str(BINARY), "serve", "--data", str(data), "--listen", "127.0.0.1:0", *extra]
        if demo:
            args += ["--demo", "demo@ccsim.example"]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        lines = [self.process.stdout.readline() for _ in range(5 if demo else 3)]
        match = re.search(r"https://127\.0\.0\.1:(\d+)/", lines[0])
        assert match, lines
        self.port = int(match.group(1))
        self.ca = data / "ca.pem"
        assert f"trust {self.ca}" in lines[1]
        self.replayed = int(re.search(r"\((\d+) entries replayed\)", lines[2]).group(1))
        if demo:
            self.organization = re.search(r"organization (org-\d+)", lines[3]).group(1)
            self.token = lines[4].strip()

    def connection(self):
        context = ssl.create_default_context(cafile=str(self.ca))
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=10)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "data")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def request(connection, method, path, token=None, body=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def s_client(port, ca, version):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version,
                           "-CAfile", str(ca), "-verify_return_error", "-brief"],
                          input="", capture_output=True, text=True, timeout=20)


def test_it_speaks_tls_1_3_only_with_a_certificate_its_ca_signed(server):
    good = s_client(server.port, server.ca, "-tls1_3")
    assert good.returncode == 0, good.stderr
    assert "Protocol version: TLSv1.3" in good.stderr
    assert "Verification: OK" in good.stderr
    old = s_client(server.port, server.ca, "-tls1_2")
    assert old.returncode != 0


def test_the_demo_token_lists_and_claims_on_one_kept_alive_connection(server):
    connection = server.connection()
    devices = f"/v1/organizations/{server.organization}/devices"
    response, body = request(connection, "GET", devices, server.token)
    assert response.status == 200
    assert json.loads(body) == {"devices": [], "next_after": ""}
    response, body = request(connection, "POST", devices, server.token,
                             json.dumps({"serial": "NO-SUCH", "oak": "AAAA-BBBB-CCCC-DDDD"}))
    assert response.status == 404
    assert response.getheader("Content-Type") == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_the_transport_refuses_with_problem_details(server):
    connection = server.connection()
    devices = f"/v1/organizations/{server.organization}/devices"
    response, body = request(connection, "GET", devices)
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == 'Bearer realm="ccsim"'
    too_large = "x" * (64 * 1024 + 1)
    connection = server.connection()
    response, body = request(connection, "POST", devices, server.token, too_large)
    assert response.status == 413
    assert json.loads(body)["type"] == "/problems/body_too_large"
    connection = server.connection()
    response, _ = request(connection, "POST", devices, server.token, "x=1",
                          "application/x-www-form-urlencoded")
    assert response.status == 415


def test_a_slow_client_holds_only_its_own_connection(server):
    slow = socket.create_connection(("127.0.0.1", server.port))
    context = ssl.create_default_context(cafile=str(server.ca))
    half = context.wrap_socket(socket.create_connection(("127.0.0.1", server.port)),
                               server_hostname="127.0.0.1")
    half.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n")  # and never the end of it
    started = time.monotonic()
    response, body = request(server.connection(), "GET", "/openapi.json")
    assert response.status == 200
    assert time.monotonic() - started < 2
    served = json.loads(body)
    assert served == json.loads((SOURCE_DIR / "docs" / "openapi.json").read_text())
    slow.close()
    half.close()


def test_sigterm_stops_it_cleanly(server):
    request(server.connection(), "GET", "/openapi.json")
    assert server.stop() == 0
    assert "ccsim serve: stopped after 1 requests" in server.process.stderr.read()


def test_help_and_bad_options(tmp_path):
    shown = subprocess.run([str(BINARY), "serve", "--help"], capture_output=True, text=True)
    assert shown.returncode == 0
    for option in ("--data", "--listen", "--seed", "--demo"):
        assert option in shown.stdout
    for args, message in ((["--listen", "localhost"], "--listen localhost: expected IP:PORT"),
                          (["--seed", "x"], "--seed x: expected a whole number"),
                          (["extra"], "unexpected argument 'extra'")):
        done = subprocess.run([str(BINARY), "serve", "--data", str(tmp_path / "d"), *args],
                              capture_output=True, text=True, timeout=20)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr


def all_pages(connection, path, token, key, cursor_key, cursor_param):
    """Every entry of a paged list, following its cursor."""
    entries, cursor = [], ""
    while True:
        separator = "&" if "?" in path else "?"
        target = path + (f"{separator}{cursor_param}={cursor}" if cursor else "")
        response, body = request(connection, "GET", target, token)
        assert response.status == 200, body
        page = json.loads(body)
        entries += page[key]
        cursor = page[cursor_key]
        if not cursor:
            return entries


# Claims go one after another on a kept-alive connection; the server is killed (SIGKILL, no
# chance to flush anything) once 60 of them were answered and the 61st is sent, then started
# again on its folder. (The demo tenant has 100 seats: a claim past them is refused and leaves
# an onboarding and an onboarding_failed entry, so the run stays under them.)
# Every claim answered 201 is there after the restart, once, with exactly one audit entry; at most
# the one claim in flight at the kill is there without its answer.
def test_a_sigkill_loses_no_answered_claim_and_doubles_none(tmp_path):
    data = tmp_path / "data"
    first = Server(data, "--demo-devices", "300")
    assert first.replayed == 0
    oaks = dict(line.split(",") for line in (data / "demo-devices.csv").read_text().split()[1:])
    devices = f"/v1/organizations/{first.organization}/devices"
    answered = []
    connection = first.connection()
    for serial in sorted(oaks):
        response, body = request(connection, "POST", devices, first.token,
                                 json.dumps({"serial": serial, "oak": oaks[serial]}))
        assert response.status == 201, body
        answered.append(serial)
        if len(answered) == 60:
            break
    # The next claim goes out, and the server dies under it, answered or not.
    in_flight = sorted(oaks)[60]
    connection.request("POST", devices, body=json.dumps({"serial": in_flight, "oak": oaks[in_flight]}),
                       headers={"Authorization": f"Bearer {first.token}",
                                "Content-Type": "application/json"})
    first.process.kill()
    first.process.wait()

    second = Server(data, demo=False)
    try:
        assert second.replayed > 60
        connection = second.connection()
        listed = all_pages(connection, devices + "?limit=37", first.token, "devices", "next_after", "after")
        serials = [device["serial"] for device in listed]
        assert len(serials) == len(set(serials)), "every claimed device once"
        assert {d["status"] for d in listed} == {"onboarding"}
        claimed = set(serials)
        assert set(answered) <= claimed
        assert claimed - set(answered) <= {in_flight}
        audit = f"/v1/organizations/{first.organization}/audit?topic=device.onboarding&limit=50"
        entries = all_pages(connection, audit, first.token, "entries", "next_cursor", "cursor")
        per_device = [entry["device"] for entry in entries]
        assert sorted(per_device) == sorted(claimed), (
            f"one audit entry a claim, none doubled: {len(per_device)} entries for "
            f"{len(set(per_device))} devices, {len(claimed)} claimed, differing in "
            f"{sorted(set(per_device) ^ claimed)}")
    finally:
        assert second.stop() == 0


def test_a_store_made_with_another_seed_is_refused(tmp_path):
    data = tmp_path / "data"
    Server(data).stop()
    done = subprocess.run([str(BINARY), "serve", "--data", str(data), "--listen", "127.0.0.1:0",
                           "--seed", "2"], capture_output=True, text=True, timeout=20)
    assert done.returncode == 2
    assert "made with seed 1, not 2" in done.stderr
    again = subprocess.run([str(BINARY), "serve", "--data", str(data), "--listen", "127.0.0.1:0",
                            "--demo", "x@y.example"], capture_output=True, text=True, timeout=20)
    assert again.returncode == 2
    assert "already holds a history" in again.stderr
