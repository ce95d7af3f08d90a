"""ccsim.turn_credential against a real TURN server: Debian's coturn, started here with the same
shared secret (use-auth-secret), allocates for a credential the platform issued, and refuses one
that has expired or was made with another secret. turnutils_uclient, coturn's own client, plays
the viewer: it allocates a relay and sends messages through it to itself."""
import shutil
import socket
import subprocess
import time

import pytest

import ccsim

SECRET = "north-secret"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def turn_port(tmp_path_factory):
    if shutil.which("turnserver") is None:
        pytest.fail("coturn's turnserver is not installed (tools/setup installs it)")
    port = free_port()
    log = tmp_path_factory.mktemp("coturn") / "turnserver.log"
    server = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
         "--use-auth-secret", f"--static-auth-secret={SECRET}", "--realm=ccsim.example",
         "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers", "--simple-log",
         f"--log-file={log}", "--min-port=49200", "--max-port=49400"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:  # up once its TCP listener takes a connection
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"turnserver did not start; see {log}")
            time.sleep(0.1)
    yield port
    server.terminate()
    server.wait(timeout=10)


def allocate(port, username, password):
    """coturn's client: allocate, send 5 messages through the relay to itself, 10 counted."""
    return subprocess.run(
        ["turnutils_uclient", "-p", str(port), "-u", username, "-w", password, "-e", "127.0.0.1",
         "-n", "5", "-m", "1", "-c", "-y", "127.0.0.1"],
        capture_output=True, text=True, timeout=30)


def test_coturn_allocates_for_a_credential_the_platform_issued(turn_port):
    username, password = ccsim.turn_credential(SECRET, "viewer-7", int(time.time()), 3600)
    assert username.endswith(":viewer-7")
    r = allocate(turn_port, username, password)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "tot_recv_msgs=10" in r.stdout, r.stdout


def test_coturn_refuses_an_expired_credential_and_another_secret(turn_port):
    now = int(time.time())
    expired = ccsim.turn_credential(SECRET, "viewer-7", now - 7200, 3600)
    r = allocate(turn_port, *expired)
    assert r.returncode != 0
    assert "Cannot complete Allocation" in r.stdout + r.stderr
    stranger = ccsim.turn_credential("south-secret", "viewer-7", now, 3600)
    r = allocate(turn_port, *stranger)
    assert r.returncode != 0
    assert "Cannot complete Allocation" in r.stdout + r.stderr


@pytest.mark.parametrize("name,lifetime,named", [
    ("", 60, "name"), ("a:b", 60, "name"), ("x" * 129, 60, "name"),
    ("viewer", 0, "lifetime_s"), ("viewer", 8 * 86400, "lifetime_s"),
])
def test_bad_arguments_raise_naming_them(name, lifetime, named):
    with pytest.raises(ValueError, match=named):
        ccsim.turn_credential(SECRET, name, 1767225600, lifetime)
