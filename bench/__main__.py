"""python -m bench [live|wall|all] | latest | locate [--points N] | service-intake | intake [--before REV] |
connections [--before REV] | snapshot REV |
soak [MINUTES] | wall-ab REV [LOADS] | dispatch [SEEDS] | risk | tickets | live-clustered — run the
benchmarks, write bench/results/<name>-<time>.{json,md}. `all` (what `make bench` runs): live latency and the wall,
connections, locate, intake at 1/10/100 clients, the cell panel, live bytes, then `latest` (bench/results/latest.json and the README's table)."""
from __future__ import annotations

import sys

from bench import connections, dispatch_policies, live_latency, locate, service_intake, snapshot_size, soak, wall_ab


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    if which in ("live", "wall", "all"):
        live_latency.main(which)
        if which == "all":
            from bench import intake, latest
            connections.main([])
            locate.main([])
            intake.main(["--seconds", "8", "--rounds", "3"])
            from bench import cell_panel, live_bytes
            cell_panel.main([])
            live_bytes.main([])
            latest.main([])
        return 0
    if which == "panel":              # issue 12: grid-cell click → panel, server side, at 10,000 open tickets
        from bench import cell_panel
        return cell_panel.main(argv[1:])
    if which == "live-bytes":         # issue 12: bytes per live update at 1k/10k/100k open tickets, snapshot, reconnect
        from bench import live_bytes
        return live_bytes.main(argv[1:])
    if which == "latest":             # issue 12: latest.json and the README's table from the newest results
        from bench import latest
        return latest.main(argv[1:])
    if which == "intake":             # issue 12: Open311 → gunicorn → PostGIS → relay, against the insert ceiling
        from bench import intake
        intake.main(argv[1:])
        return 0
    if which == "service-intake":
        service_intake.main(argv[1:])
        return 0
    if which == "locate":
        locate.main(argv[1:])
        return 0
    if which == "snapshot" and len(argv) > 1:
        snapshot_size.run(argv[1])
        return 0
    if which == "connections":
        connections.main(argv[1:])
        return 0
    if which == "wall-ab" and len(argv) > 1:
        wall_ab.run(argv[1], int(argv[2]) if len(argv) > 2 else 10)
        return 0
    if which == "dispatch":
        dispatch_policies.main(argv[1:])
        return 0
    if which == "risk":               # issue 14: the breach-risk and hotspot models judged on held-out time
        from bench import risk_model
        risk_model.main(argv[1:])
        return 0
    if which == "tickets":            # issue 11: the /tickets list's page + counts and its text search
        from bench import tickets_list
        return tickets_list.main(argv[1:])
    if which == "live-clustered":     # issue 15: event → painted at 10,000 clustered open tickets, 1 and 10 events/s
        from bench import live_clustered
        return live_clustered.main(argv[1:])
    if which == "soak":
        soak.main(float(argv[1]) if len(argv) > 1 else 20)
        return 0
    print(f"unknown benchmark {which!r}: live | wall | all | latest | panel | live-bytes | locate | service-intake | intake | connections | snapshot REV | soak [MINUTES] | wall-ab REV [LOADS] | dispatch [SEEDS] | live-clustered [AT_1 AT_10]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
