#!/usr/bin/python3
"""Study: how much TURN relay bandwidth does a fleet need as the share of its cameras behind
symmetric NATs grows?

Every camera is watched live at once (2 Mbps) from a phone behind a symmetric NAT. A camera behind
a symmetric NAT needs the relay, which carries its stream twice (in and out: 4 Mbps); one behind a
cone NAT meets the phone peer-to-peer. So the relay's peak should grow by 4 Mbps per camera moved
behind a symmetric NAT, a straight line through zero; the study measures it across shares and
seeds and writes a plot and a short text of findings.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/relay_share.py [--cameras 1000]
        [--seeds 3] [--out runs/relay-share]
"""
import pathlib

import study  # first: it sets matplotlib's file-only backend
import matplotlib.pyplot as plt
import pandas

import ccsim

SCENARIO = pathlib.Path(__file__).with_name("relay_share.yaml")
SHARES = [0.1, 0.3, 0.5, 0.7, 0.9]
RELAYED_BPS = 2 * 2e6  # a relayed 2 Mbps stream, in and out


def measure(cameras, seeds):
    frames = []
    for share in SHARES:
        symmetric = round(cameras * share)
        scenario = ccsim.Scenario.load(SCENARIO, overrides={
            "organizations.0.sites.0.devices.0.count": symmetric,
            "organizations.0.sites.1.devices.0.count": cameras - symmetric})
        frame = ccsim.sweep(scenario, seeds=seeds)
        frame["share"] = share
        frame["symmetric"] = symmetric
        frames.append(frame)
    return pandas.concat(frames, ignore_index=True)


def findings(frame, cameras):
    slope = ((frame["relay_bandwidth_peak_bps"].max() - frame["relay_bandwidth_peak_bps"].min())
             / (frame["symmetric"].max() - frame["symmetric"].min()))
    off = (frame["relay_bandwidth_peak_bps"] - frame["symmetric"] * RELAYED_BPS).abs().max()
    lines = [
        f"Relay bandwidth against the share of {cameras} cameras behind symmetric NATs, "
        f"{frame['seed'].nunique()} seeds per share.",
        f"Measured: {slope / 1e6:.2f} Mbps of relay per camera behind a symmetric NAT "
        f"(expected {RELAYED_BPS / 1e6:.0f}: its 2 Mbps in and out); the largest gap from the "
        f"expected line is {off / 1e6:.3f} Mbps.",
        f"Each 10% of the fleet moved behind symmetric NATs adds "
        f"{0.1 * cameras * slope / 1e9:.3f} Gbps at the relay.",
        f"Peer-to-peer sessions: {int(frame['live_sessions_peer_to_peer'].sum())}; relayed: "
        f"{int(frame['live_sessions_relayed_udp'].sum())}.",
    ]
    lines += study.failed_runs(frame)
    return "\n".join(lines) + "\n"


def plot(frame, cameras):
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.scatter(frame["share"] * 100, frame["relay_bandwidth_peak_bps"] / 1e6, label="runs")
    shares = pandas.Series(SHARES)
    axes.plot(shares * 100, (shares * cameras).round() * RELAYED_BPS / 1e6, "--",
              label="expected: 4 Mbps per relayed camera")
    axes.set_xlabel("cameras behind symmetric NATs (%)")
    axes.set_ylabel("relay bandwidth at the peak (Mbps)")
    axes.set_title(f"TURN relay bandwidth, {cameras} cameras watched at once")
    axes.legend()
    return figure


def main():
    parser = study.arguments(__doc__, "runs/relay-share", seeds_per="share")
    parser.add_argument("--cameras", type=int, default=1000, help="fleet size (default: 1000)")
    args = parser.parse_args()
    if args.cameras < 10:
        parser.error("--cameras: at least 10, so every share has a camera at each site")
    out = study.output_folder(args)
    frame = measure(args.cameras, range(1, args.seeds + 1))
    study.finish(out, frame, plot(frame, args.cameras), "relay_share.png",
                 findings(frame, args.cameras))


if __name__ == "__main__":
    main()
