#!/usr/bin/python3
"""Benchmark: `ccsim turn-server` against coturn's turnserver, driven by coturn's own load client.

Both servers run on loopback with the same long-term credential; turnutils_uclient runs the same
load against each in turn (by default 50 clients in pairs, -y, each sending 2,000 messages of
1,000 bytes, one every millisecond, through the relays to its partner) and the script prints,
per server, uclient's total transmit time, messages sent and received, lost packets, the
server's CPU time (user + system, all its threads, from /proc) and the ratios ccsim/coturn.

The clients send with Send indications (-s) against both: uclient draws channel numbers from
RFC 5766's 0x4000..0x7FFF, which RFC 8656 (and so ccsim) narrowed to 0x4FFF. `--channels-too`
adds a coturn-only run with channels, for the record.

Usage: bench/turn_relay_bench.py --ccsim build/tools/ccsim [--clients 50] [--messages 2000]
                                 [--length 1000] [--interval-ms 1] [--tcp] [--channels-too]
                                 [--out FILE.json]
Nothing here is asserted: it measures.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

USER, PASSWORD, REALM = "bench", "bench-password", "ccsim.bench"
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_S = 10


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU time of a process and all its threads so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def udp_receive_buffer_errors():
    """Datagrams the kernel dropped, machine-wide, because a socket's receive buffer was full:
    losses that neither the clients nor the servers see."""
    with open("/proc/net/snmp") as f:
        udp = [line.split() for line in f if line.startswith("Udp:")]
    return int(udp[1][udp[0].index("RcvbufErrors")])


def wait_for_tcp(port, process, what):
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                sys.exit(f"{what} did not start on port {port}")
            time.sleep(0.1)


def start_coturn(port, log_dir):
    process = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
         "--lt-cred-mech", f"--user={USER}:{PASSWORD}", f"--realm={REALM}", "--no-tls",
         "--no-dtls", "--no-cli", "--allow-loopback-peers", "--simple-log",
         f"--log-file={log_dir}/turnserver.log", "--min-port=40000", "--max-port=44999"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_tcp(port, process, "turnserver")
    return process


def start_ccsim(ccsim, port):
    process = subprocess.Popen(
        [ccsim, "turn-server", "--listen", f"127.0.0.1:{port}", "--realm", REALM, "--user",
         f"{USER}:{PASSWORD}", "--min-port", "45000", "--max-port", "49999",
         # Every client is the same user, and coturn sets no user quota by default.
         "--allocations-per-user", "100000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    if "listening on" not in line:
        process.kill()
        sys.exit(f"ccsim turn-server did not start: {line}{process.stderr.read()}")
    return process


def run_load(port, args, server_pid):
    """One uclient run; returns what it and the server's CPU clock say."""
    command = ["turnutils_uclient", "-p", str(port), "-u", USER, "-w", PASSWORD, "-e",
               "127.0.0.1", "-m", str(args.clients), "-n", str(args.messages), "-l",
               str(args.length), "-z", str(args.interval_ms), "-y", *args.extra, "127.0.0.1"]
    print("  " + " ".join(command), file=sys.stderr, flush=True)
    cpu_before = cpu_seconds(server_pid)
    drops_before = udp_receive_buffer_errors()
    start = time.monotonic()
    r = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    wall_s = time.monotonic() - start
    cpu_s = cpu_seconds(server_pid) - cpu_before
    kernel_drops = udp_receive_buffer_errors() - drops_before
    out = r.stdout + r.stderr
    transmit = re.search(r"Total transmit time is (\d+)", out)
    lost = re.search(r"Total lost packets (\d+) \(([\d.]+)%\)", out)
    totals = re.findall(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", out)
    if r.returncode != 0 or not (transmit and lost and totals):
        tail = "\n".join(out.splitlines()[-10:])
        return {"failed": True, "exit_code": r.returncode, "tail": tail, "wall_s": wall_s}
    sent, received = (int(n) for n in totals[-1])
    return {"failed": False, "transmit_s": int(transmit.group(1)), "sent": sent,
            "received": received, "lost": int(lost.group(1)), "lost_percent": float(lost.group(2)),
            "server_cpu_s": round(cpu_s, 2), "wall_s": round(wall_s, 2),
            "kernel_receive_buffer_drops": kernel_drops}


def stop(process):
    """Stops a server; returns ccsim's counters (coturn prints none), those not zero."""
    process.send_signal(15)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return {}
    counters = re.findall(r"^  (\w+)=(\d+)$", err or "", re.M)
    return {name: int(value) for name, value in counters if value != "0"}


def measure(name, start, args):
    port = free_port()
    process = start(port)
    try:
        result = run_load(port, args, process.pid)
    finally:
        counters = stop(process)
    if counters:
        result["server_counters"] = counters
    return result


def row(name, result):
    if result["failed"]:
        return f"{name:<24} FAILED (exit {result['exit_code']}):\n{result['tail']}"
    return (f"{name:<24} transmit {result['transmit_s']:>4} s   wall {result['wall_s']:>7.2f} s   "
            f"sent {result['sent']:>7}   received {result['received']:>7}   lost "
            f"{result['lost']} ({result['lost_percent']:.2f}%)   server CPU "
            f"{result['server_cpu_s']:.2f} s   kernel buffer drops "
            f"{result['kernel_receive_buffer_drops']}")


def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ccsim", required=True, help="the ccsim binary")
    parser.add_argument("--clients", type=int, default=50, help="uclient -m")
    parser.add_argument("--messages", type=int, default=2000, help="uclient -n")
    parser.add_argument("--length", type=int, default=1000, help="uclient -l, bytes")
    parser.add_argument("--interval-ms", type=int, default=1, help="uclient -z")
    parser.add_argument("--tcp", action="store_true", help="clients over TCP (uclient -t)")
    parser.add_argument("--channels-too", action="store_true",
                        help="also run coturn alone with channels (uclient without -s)")
    parser.add_argument("--out", help="write the results here as JSON")
    args = parser.parse_args()
    for tool in ("turnserver", "turnutils_uclient"):
        if shutil.which(tool) is None:
            sys.exit(f"coturn's {tool} is not installed (tools/setup installs it)")
    with tempfile.TemporaryDirectory() as log_dir:
        transport = ["-t"] if args.tcp else []
        args.extra = ["-s", *transport]
        results = {
            "coturn": measure("coturn", lambda port: start_coturn(port, log_dir), args),
            "ccsim": measure("ccsim", lambda port: start_ccsim(args.ccsim, port), args),
        }
        if args.channels_too:
            args.extra = transport
            results["coturn_channels"] = measure(
                "coturn", lambda port: start_coturn(port, log_dir), args)
    print(f"turnutils_uclient -m {args.clients} -n {args.messages} -l {args.length} "
          f"-z {args.interval_ms} -y -s{' -t' if args.tcp else ''}, on loopback:")
    for name, result in results.items():
        print(row(name, result))
        if "server_counters" in result:
            print(f"{'':<24} counters: " +
                  ", ".join(f"{k}={v}" for k, v in result["server_counters"].items()))
    ccsim, coturn = results["ccsim"], results["coturn"]
    if not ccsim["failed"] and not coturn["failed"]:
        print(f"ccsim / coturn: transmit time {ratio(ccsim['transmit_s'], coturn['transmit_s'])}, "
              f"wall {ratio(ccsim['wall_s'], coturn['wall_s'])}, server CPU "
              f"{ratio(ccsim['server_cpu_s'], coturn['server_cpu_s'])}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"clients": args.clients, "messages": args.messages,
                       "length": args.length, "interval_ms": args.interval_ms,
                       "results": results}, f, indent=2)
    return 0 if all(not r["failed"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
