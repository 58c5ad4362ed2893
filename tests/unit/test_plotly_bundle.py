"""Our plotly.js build (frontend/plotly → assets/vendor) must match the plotly.js Dash ships and hold every trace
type the layers draw: a page whose trace type is missing from it would stay blank."""
from __future__ import annotations

import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[2]
LOADER = ROOT / "assets" / "plotly_early.js"
ENTRY = ROOT / "frontend" / "plotly" / "entry.js"


def bundle_path() -> Path:
    name = re.search(r'const BUNDLE = "assets/(vendor/[^"]+)"', LOADER.read_text()).group(1)
    return ROOT / "assets" / name


def test_the_loader_names_a_bundle_of_the_plotly_js_version_dash_would_serve():
    bundle = bundle_path()
    assert bundle.is_file(), f"{bundle} is missing: run `make plotly-bundle`"
    assert bundle.name == f"plotly-command-{get_plotlyjs_version()}.min.js", "plotly was upgraded: make plotly-bundle"
    assert f'.version="{get_plotlyjs_version()}"' in bundle.read_text(encoding="utf-8")


def test_every_trace_type_the_app_draws_is_in_the_bundle():
    used = set()
    for folder in ("layers", "screens", "callbacks", "services"):
        for source in (ROOT / folder).rglob("*.py"):
            used |= {name.lower() for name in re.findall(r"\bgo\.([A-Z][a-z]+)\(", source.read_text())}
    used -= {"figure"}
    registered = set(re.findall(r"require\('plotly\.js/lib/([a-z]+)'\)", ENTRY.read_text())) | {"scatter"}
    assert used, "no trace types found: the pattern no longer matches the code"
    assert used <= registered, f"add {sorted(used - registered)} to frontend/plotly/entry.js, then make plotly-bundle"
