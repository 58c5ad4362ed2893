"""Legible from five metres, checked in a real Chromium: on /wall at 1920×1080 every rendered text is at least 24 px
and every text node passes WCAG AA contrast (axe-core's own rule, the npm package vendored under tests/e2e/vendor);
the dispatcher's map and the forms pass the same contrast check."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import console_errors, exact_viewport, wait_for_js

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"

RUN_CONTRAST = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}, resultTypes: ['violations']})
  .then(r => done(r.violations.flatMap(v => v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary))))
  .catch(e => done(['axe failed: ' + e]));
"""

# Every visible text node of the page (HTML and SVG) with its computed size; text clipped away by an ancestor's
# overflow still counts (it is on the page), text of hidden elements does not. Sizes as rendered (after CSS zoom).
SMALL_TEXT = """
const min = arguments[0], small = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode, el = node.parentElement, words = node.textContent.trim();
  if (!words || !el || el.closest('script, style, noscript, [hidden]')) continue;
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  if (!box.width || !box.height || style.visibility === 'hidden' || style.display === 'none') continue;
  const size = parseFloat(style.fontSize) * (el.currentCSSZoom || 1);     // what CSS zoom makes of it
  if (size < min) small.push(size + 'px <' + el.tagName.toLowerCase() + ' class="' + el.getAttribute('class') +
                             '"> ' + words.slice(0, 24));
}
return small;
"""

WALL_READY = """
const hours = document.querySelectorAll('#wall-hours .h-col').length, tiles = document.querySelectorAll('#wall-tiles .tile').length;
return hours === 24 && tiles === 6 && document.querySelectorAll('#wall-streets li').length > 0 &&
       !!(window.liveMap && window.liveMap.renders > 0);
"""


def contrast_violations(driver) -> list[str]:
    driver.set_script_timeout(90)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(RUN_CONTRAST)


@pytest.mark.signed_in_as("wall")
@pytest.mark.parametrize("width, height", [(1920, 1080), (3840, 2160)])
def test_the_wall_has_no_text_under_24_px_and_passes_aa_contrast(app_url, browser, width, height):
    exact_viewport(browser, width, height)
    browser.get(app_url + "/wall")
    wait_for_js(browser, WALL_READY, seconds=60, what="the wall's panels and live map")
    wait_for_js(browser, "return document.querySelectorAll('.countdown[data-due]').length === 0 || "
                         "[...document.querySelectorAll('.countdown[data-due]')].every(e => /\\d/.test(e.textContent));",
                seconds=10, what="the countdowns ticking")
    # 3840×2160 is the same wall at twice the size: 48 px where 1920×1080 has 24 (zoom 2 in assets/wall.css).
    assert browser.execute_script(SMALL_TEXT, 24 * width / 1920) == []
    scroll = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                                    " innerWidth, innerHeight];")
    assert scroll[0] <= scroll[2] and scroll[1] <= scroll[3], "the wall scrolls"
    assert contrast_violations(browser) == []
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("wall")
def test_the_wall_panels_fit_without_clipping_a_row(app_url, browser):
    """Calm and whole: no panel's rows overflow its column at 1920×1080 (a cut-off last row reads as a glitch)."""
    exact_viewport(browser, 1920, 1080)
    browser.get(app_url + "/wall")
    wait_for_js(browser, WALL_READY, seconds=60, what="the wall's panels and live map")
    overflow = browser.execute_script("""
      return [...document.querySelectorAll('.wall-side')].map(side => {
        const bottom = side.getBoundingClientRect().bottom;
        return [...side.querySelectorAll('li, .tile, .h-chart')].filter(e => e.getBoundingClientRect().bottom > bottom + 1)
                 .map(e => e.className + ' ' + e.textContent.slice(0, 20));
      }).flat();""")
    assert overflow == []


PAGES = [
    ("dispatcher", "/", "return !!(window.liveMap && window.liveMap.renders > 0);"),
    ("operator", "/hotline", "return !!document.querySelector('#react-entry-point input');"),
    (None, "/login", "return !!document.querySelector('input[type=password]');"),
    (None, "/track", "return !!document.querySelector('#react-entry-point input');"),
]


@pytest.mark.parametrize("role, path, ready", PAGES, ids=[p[1] for p in PAGES])
def test_the_command_map_and_the_forms_pass_aa_contrast(app_url, request, role, path, ready):
    from harness.browser import sign_in, start_chromium
    driver = start_chromium(1600, 1000)
    try:
        if role:
            sign_in(driver, app_url, role)
        driver.get(app_url + path)
        wait_for_js(driver, ready, seconds=60, what=path)
        assert contrast_violations(driver) == []
    finally:
        driver.quit()
