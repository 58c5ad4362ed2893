"""services.media.prepare on a phone-sized photo: a 4000×3000 JPEG of about 6 MB with GPS EXIF (decoded, turned,
re-encoded without metadata), timed in one process on this machine.

    python bench/photo_prepare.py [--runs 9]
    python bench/photo_prepare.py --gevent [--runs 5]

Writes bench/results/photo-prepare-<time>.{json,md}: median, min and max (ms) of the runs, after one warm-up.
The image is made here with Pillow (noise over a gradient, so that JPEG cannot squeeze it much).

--gevent: as in a gunicorn gevent worker (monkey-patched), a greenlet ticks every 10 ms while photos are
prepared, once called directly and once through services.media.off_the_event_loop (gevent's thread pool); the
longest gap between ticks is how long the worker's other connections waited.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--gevent" in sys.argv:
    from gevent import monkey
    monkey.patch_all()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from services.media import Upload, prepare  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def phone_photo(width: int = 4000, height: int = 3000, quality: int = 87) -> bytes:
    rng = np.random.default_rng(16)
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    noise = rng.normal(0, 28, (height, width, 3)).astype(np.float32)
    pixels = np.clip(ramp + 30 + noise, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6                                                # taken upright: turn on display
    exif.get_ifd(0x8825).update({1: "N", 2: (41.0, 7.0, 30.0), 3: "E", 4: (122.0, 59.0, 10.0)})
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="JPEG", quality=quality, exif=exif)
    return out.getvalue()


def stalls(upload: Upload, runs: int) -> dict:
    """Longest wait of a 10 ms ticker greenlet while ``runs`` photos are prepared, directly and off the loop."""
    import gevent
    from services.media import off_the_event_loop
    result = {}
    for how, call in (("direct", prepare), ("off_the_event_loop", lambda u: off_the_event_loop(prepare, u))):
        gaps, last, done = [], [time.perf_counter()], [False]

        def tick():
            while not done[0]:
                gevent.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last[0])
                last[0] = now
        ticker = gevent.spawn(tick)
        gevent.sleep(0.05)
        start = time.perf_counter()
        for _ in range(runs):
            call(upload)
        took = time.perf_counter() - start
        done[0] = True
        ticker.join()
        result[how] = {"total_ms": round(took * 1000, 1), "per_photo_ms": round(took * 1000 / runs, 1),
                       "longest_tick_gap_ms": round(max(gaps) * 1000, 1)}
    return result


def write(name: str, result: dict, markdown) -> None:
    """bench/results/<name>-<time>.json and .md; ``markdown(stamp)`` writes the page."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}-{stamp}.md").write_text(markdown(stamp))
    print(json.dumps(result))


def gevent_stalls(upload: Upload, runs: int) -> None:
    result = {"runs": runs, **stalls(upload, runs), "load_average": round(os.getloadavg()[0], 2)}
    rows = "".join(f"| {how} | {r['per_photo_ms']} | {r['longest_tick_gap_ms']} |\n"
                   for how, r in result.items() if isinstance(r, dict))
    write("photo-prepare-gevent", result, lambda stamp: (
        f"# prepare under gevent, {stamp}\n\nThe same 4000×3000 JPEG, {runs} photos one after the other in a "
        f"monkey-patched process; a greenlet ticks every 10 ms. Load average {result['load_average']} on "
        f"{os.cpu_count()} cores.\n\n| how | ms per photo | longest wait of the other greenlet, ms |\n"
        f"| --- | --- | --- |\n{rows}"))


def timings(upload: Upload, runs: int) -> None:
    samples, stored = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        photo = prepare(upload)
        samples.append((time.perf_counter() - start) * 1000)
        stored = len(photo.data)
    size = len(upload.data)
    result = {"input_bytes": size, "stored_bytes": stored, "size": [4000, 3000], "runs": runs,
              "median_ms": round(statistics.median(samples), 1), "min_ms": round(min(samples), 1),
              "max_ms": round(max(samples), 1), "load_average": round(os.getloadavg()[0], 2),
              "cpus": os.cpu_count()}
    write("photo-prepare", result, lambda stamp: (
        f"# services.media.prepare, {stamp}\n\n"
        f"A 4000×3000 JPEG of {size / 1e6:.1f} MB with GPS EXIF and orientation 6 → a {stored / 1e6:.1f} MB "
        f"JPEG (quality 85, no metadata, turned to 3000×4000). {runs} runs after one warm-up, one process, "
        f"load average {result['load_average']} on {result['cpus']} cores.\n\n"
        "| median ms | min ms | max ms |\n| --- | --- | --- |\n"
        f"| {result['median_ms']} | {result['min_ms']} | {result['max_ms']} |\n"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--gevent", action="store_true")
    options = parser.parse_args()
    upload = Upload("IMG_0001.JPG", "image/jpeg", phone_photo())
    prepare(upload)                                                 # warm-up (imports, plugin set-up)
    (gevent_stalls if options.gevent else timings)(upload, options.runs)


if __name__ == "__main__":
    main()
