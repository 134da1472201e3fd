#!/usr/bin/env python3
"""Check that the built docs site renders its mermaid diagrams offline.

Used by scripts/browser-test.sh, which serves the built site on 127.0.0.1.
Standard library only. Steps:

1. Static check: no page of the site loads a script or stylesheet from an
   absolute http(s):// (or protocol-relative //) address, and mermaid is
   loaded from the site itself (javascripts/mermaid.min.js).
2. Offline check: headless Chromium runs with every non-loopback host blocked
   (host resolver rules + a dead proxy). A canary page proves the blocking
   works: a script from 127.0.0.1 loads, scripts from external hosts fail,
   and a top-level navigation to an external URL fails.
3. Every built page with a mermaid diagram (`class="mermaid"` in its HTML) is
   loaded with `--dump-dom`; the page fails if any `<pre class="mermaid">`
   source block is left (Material replaces each rendered one with a
   `<div class="mermaid">` whose SVG is in a closed shadow root).
4. The pages with no diagram that must still work offline (the command-line
   guide and reference, the API reference and two rustdoc pages) load with
   their content and no blocked fetch, and the files pages link (the CDDL
   schema) are served.
5. Layout: the verification page, the command-line pages and the ciphertext
   page do not scroll sideways at 1280 px (a laptop) or 390 px (a phone).
6. A screenshot of one page (the reads-for encryption diagram).

Prints one line per page and exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# Flags for every Chromium run. The first group is what works on this kind of
# machine (closed network, root); the second blocks every host but 127.0.0.1.
BASE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",  # the page's console messages, shown when a page fails
    "--virtual-time-budget=15000",
]
BLOCK_FLAGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]

DEFAULT_SCREENSHOT_PAGE = "encryption/behaviour/"
# Headless Chromium's --screenshot draws a scrolled page wrongly (blank or
# shifted), so a page is photographed inside an iframe of a local wrapper
# page: the iframe scrolls to the #anchor, the top-level page does not scroll.
SCREENSHOT_WIDTH, SCREENSHOT_HEIGHT = 1280, 2000
SCREENSHOT_WRAPPER = """<!doctype html>
<html><head><meta charset="utf-8"><title>screenshot</title>
<style>html, body { margin: 0; padding: 0; overflow: hidden }
iframe { border: 0; display: block; width: %(w)dpx; height: %(h)dpx }</style></head>
<body><iframe src="%(url)s"></iframe></body></html>
"""
# A blank 1280x2000 screenshot is about 12 kB; any page with text is far more.
BLANK_SCREENSHOT_BYTES = 30_000

# Pages with no diagram that must load from the site alone: (page, text its DOM must hold).
MUST_LOAD = [
    ("cli/guide/index.html", "Command-line guide"),
    ("cli/reference/index.html", "Exit statuses"),
    ("api/index.html", "API reference"),
    ("api/rustdoc/sealwright_engines/trait.Engine.html", "Engine"),
    ("api/rustdoc/sealwright_spec/message/enum.Message.html", "RequestEncrypt"),
]
# Files the pages link that the site must serve.
SERVED = ["wire-format/wire.cddl"]
# Pages that must not scroll sideways at a laptop's and at a phone's width (a
# wide table scrolls inside its own box instead).
LAYOUT_PAGES = ["verification/", "cli/reference/", "cli/guide/", "wire-format/ciphertext/"]
LAYOUT_WIDTHS = [1280, 390]
# Measured from a same-origin wrapper (written into the served site for the
# check): the iframe's page reports its scroll width and its viewport width.
LAYOUT_WRAPPER = """<!doctype html>
<html><head><meta charset="utf-8"><title>pending</title></head>
<body><iframe id="f" style="border:0;width:%(w)dpx;height:900px" src="%(url)s"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  setTimeout(function () {
    var d = document.getElementById('f').contentDocument.documentElement;
    document.title = 'layout ' + d.scrollWidth + ' ' + d.clientWidth;
  }, 1000);
});
</script></body></html>
"""

PRE_MERMAID = re.compile(r'<pre\b[^>]*\bclass="[^"]*\bmermaid\b[^"]*"', re.I)
DIV_MERMAID = re.compile(r'<div\b[^>]*\bclass="[^"]*\bmermaid\b[^"]*"', re.I)
ANY_MERMAID = re.compile(r'class="[^"]*\bmermaid\b[^"]*"', re.I)
# <script src=...> and <link href=...> (stylesheets, preloads, icons, ...).
RESOURCE = re.compile(
    r'<(script)\b[^>]*?\bsrc\s*=\s*["\']([^"\']+)["\']'
    r'|<(link)\b[^>]*?\bhref\s*=\s*["\']([^"\']+)["\'][^>]*>',
    re.I,
)
ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
# <link rel=...> values that name a page, not something the page loads.
NAVIGATION_RELS = {"canonical", "prev", "next", "alternate", "author", "license", "search"}


def chromium_cmd(chromium: str, profile: str, *extra: str) -> list[str]:
    return [chromium, *BASE_FLAGS, *BLOCK_FLAGS, f"--user-data-dir={profile}", *extra]


def run_chromium(chromium: str, *extra: str, timeout: int = 120) -> tuple[int, str, str]:
    """Runs Chromium once with a new empty profile; returns (rc, stdout, stderr)."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        proc = subprocess.run(
            chromium_cmd(chromium, profile, *extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out, f"timed out after {timeout} s"
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def page_messages(stderr: str, limit: int = 12) -> list[str]:
    """The page's console messages and network errors from Chromium's log
    (without the noise of a machine with no D-Bus or GPU)."""
    records: list[list[str]] = []
    for line in stderr.splitlines():
        if re.match(r"\[\d+:\d+:", line) or not records:
            records.append([line])
        else:
            records[-1].append(line)  # a multi-line console message goes on
    keep = [r for r in records if ":CONSOLE" in r[0] or "ERR_" in r[0]]
    if not keep:
        keep = [r for r in records if "dbus" not in r[0].lower() and "unexpected operator" not in r[0]][-3:]
    lines = [l[:300] for r in keep for l in r[:6]]
    return lines[:limit]


def page_url(base: str, rel: Path) -> str:
    """URL of a built file, directory-style for index.html pages."""
    parts = rel.as_posix()
    if parts == "index.html":
        parts = ""
    elif parts.endswith("/index.html"):
        parts = parts[: -len("index.html")]
    return base.rstrip("/") + "/" + parts


def static_check(site: Path) -> list[str]:
    """Absolute script/stylesheet addresses in any built page, and mermaid's origin."""
    problems = []
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(site)
        for m in RESOURCE.finditer(text):
            if m.group(1):
                kind, url = "script", m.group(2)
            else:
                kind, url = "link", m.group(4)
                rel_attr = re.search(r'\brel\s*=\s*["\']([^"\']+)["\']', m.group(0), re.I)
                rels = set((rel_attr.group(1) if rel_attr else "").lower().split())
                if rels and rels <= NAVIGATION_RELS:
                    continue
            if ABSOLUTE.match(html.unescape(url)):
                problems.append(f"{rel}: {kind} from an absolute address: {url}")
        if ANY_MERMAID.search(text) and not re.search(
            r'<script\b[^>]*\bsrc="(?:\.\./)*(?:\./)?javascripts/mermaid\.min\.js"', text
        ):
            problems.append(f"{rel}: has a mermaid diagram but does not load javascripts/mermaid.min.js from the site")
    if not (site / "javascripts" / "mermaid.min.js").is_file():
        problems.append("javascripts/mermaid.min.js is missing from the built site")
    return problems


CANARY = """<!doctype html>
<html><head><meta charset="utf-8"><title>offline canary</title></head>
<body><p id="result">pending</p>
<script>
const results = {};
const expected = %(count)d;
function done(key, value) {
  results[key] = value;
  if (Object.keys(results).length === expected) {
    document.getElementById("result").textContent = "RESULT " + JSON.stringify(results);
  }
}
for (const [key, url] of Object.entries(%(urls)s)) {
  const s = document.createElement("script");
  s.src = url;
  s.onload = () => done(key, "loaded");
  s.onerror = () => done(key, "blocked");
  document.head.appendChild(s);
}
</script></body></html>
"""


def offline_check(chromium: str, base: str, work: Path) -> list[str]:
    """Proves the flags let 127.0.0.1 through and block everything else."""
    problems = []
    urls = {
        "loopback": base.rstrip("/") + "/javascripts/mermaid.min.js",
        "external_https": "https://example.com/offline-canary.js",
        "external_http": "http://example.org/offline-canary.js",
    }
    canary = work / "offline-canary.html"
    canary.write_text(CANARY % {"count": len(urls), "urls": json.dumps(urls)}, encoding="utf-8")
    rc, out, err = run_chromium(chromium, "--dump-dom", canary.as_uri())
    m = re.search(r"RESULT (\{.*?\})<", out)
    if rc != 0 or not m:
        problems.append(f"offline canary: no result (exit {rc}): {err.strip()[-500:]}")
    else:
        got = json.loads(html.unescape(m.group(1)))
        want = {"loopback": "loaded", "external_https": "blocked", "external_http": "blocked"}
        print(f"offline canary: {json.dumps(got, sort_keys=True)}")
        if got != want:
            problems.append(f"offline canary: expected {want}, got {got}")
    # A top-level navigation to an external address must fail too.
    rc, out, err = run_chromium(chromium, "--dump-dom", "https://example.com/")
    reached = "Example Domain" in out
    error = re.search(r"ERR_[A-Z_]+", out + err)
    print(f"external navigation: {'REACHED' if reached else 'failed'}"
          f" ({error.group(0) if error else 'no error code seen'})")
    if reached:
        problems.append("external navigation reached https://example.com/: hosts are not blocked")
    elif not error or error.group(0) != "ERR_PROXY_CONNECTION_FAILED":
        # The dead proxy is what answers when the flags are in force.
        problems.append("external navigation did not fail at the dead proxy 127.0.0.1:9: "
                        "are the blocking flags in force?")
    return problems


def check_pages(chromium: str, site: Path, base: str) -> tuple[int, list[str]]:
    pages = [p for p in sorted(site.rglob("*.html"))
             if ANY_MERMAID.search(p.read_text(encoding="utf-8", errors="replace"))]
    failures = []
    if not pages:
        print("no built page contains a mermaid diagram")
    for path in pages:
        rel = path.relative_to(site)
        source = path.read_text(encoding="utf-8", errors="replace")
        expected = len(PRE_MERMAID.findall(source))
        url = page_url(base, rel)
        started = time.monotonic()
        rc, dom, err = run_chromium(chromium, "--dump-dom", url)
        took = time.monotonic() - started
        left = len(PRE_MERMAID.findall(dom))
        rendered = len(DIV_MERMAID.findall(dom))
        loaded = "</html>" in dom and 'class="md-content"' in dom
        if rc == 0 and loaded and left == 0 and rendered == expected:
            print(f"{rel}: rendered {rendered} diagram{'s' if rendered != 1 else ''} ({took:.1f} s)")
        else:
            why = []
            if rc != 0:
                why.append(f"chromium exit {rc}")
            if not loaded:
                why.append("page did not load")
            if left:
                why.append(f"{left} of {expected} mermaid source blocks left unrendered")
            if rendered != expected:
                why.append(f"{rendered} rendered of {expected}")
            print(f"{rel}: FAILED: {'; '.join(why)} ({took:.1f} s)")
            for line in page_messages(err):
                print("    chromium: " + line)
            failures.append(str(rel))
    return len(pages), failures


def check_other_pages(chromium: str, site: Path, base: str) -> list[str]:
    """The diagram-free pages load with their content and no blocked fetch; linked files are served."""
    problems = []
    for rel, text in MUST_LOAD:
        if not (site / rel).is_file():
            problems.append(f"{rel} is missing from the built site")
            continue
        rc, dom, err = run_chromium(chromium, "--dump-dom", page_url(base, Path(rel)))
        blocked = [l for l in page_messages(err) if "ERR_" in l]
        if rc != 0 or text not in dom or "</html>" not in dom or blocked:
            problems.append(f"{rel} did not load ({text!r} not in the page, or a fetch failed): "
                            + " / ".join(blocked or page_messages(err)))
        else:
            print(f"{rel}: loaded")
    for rel in SERVED:
        try:
            with urllib.request.urlopen(base.rstrip("/") + "/" + rel, timeout=10) as r:
                ok = r.status == 200 and len(r.read()) > 0
        except OSError as e:
            ok, rel = False, f"{rel} ({e})"
        if ok:
            print(f"{rel}: served")
        else:
            problems.append(f"{rel} is not served")
    return problems


def check_layout(chromium: str, site: Path, base: str) -> list[str]:
    """No page of LAYOUT_PAGES scrolls sideways at any of LAYOUT_WIDTHS."""
    problems = []
    wrapper = site / "_layout-check.html"
    try:
        for page in LAYOUT_PAGES:
            for width in LAYOUT_WIDTHS:
                url = base.rstrip("/") + "/" + page
                wrapper.write_text(LAYOUT_WRAPPER % {"w": width, "url": html.escape(url)}, encoding="utf-8")
                rc, dom, err = run_chromium(chromium, "--dump-dom", "--virtual-time-budget=8000",
                                            base.rstrip("/") + "/_layout-check.html")
                m = re.search(r"<title>layout (\d+) (\d+)</title>", dom)
                if rc != 0 or not m:
                    problems.append(f"{page} at {width} px: not measured (exit {rc}): "
                                    + " / ".join(page_messages(err)))
                    continue
                scroll, client = int(m.group(1)), int(m.group(2))
                if scroll > client + 1:
                    problems.append(f"{page} at {width} px scrolls sideways ({scroll} px of content in {client} px)")
                else:
                    print(f"{page} at {width} px: fits ({scroll} of {client} px)")
    finally:
        wrapper.unlink(missing_ok=True)
    return problems


def screenshot_target(site: Path, page: str | None, title: str) -> tuple[str, str]:
    """The page (relative URL path) and anchor to photograph.

    An explicit page wins; otherwise the built page (encryption/behaviour/
    first) with a mermaid diagram and a heading containing `title`, at that
    heading; otherwise encryption/behaviour/.
    """
    if page:
        page, _, anchor = page.partition("#")
        return page, anchor
    needle = title.lower()
    default = site / DEFAULT_SCREENSHOT_PAGE / "index.html"
    others = [p for p in sorted(site.rglob("*.html")) if p != default]
    for path in ([default] if default.is_file() else []) + others:
        text = path.read_text(encoding="utf-8", errors="replace")
        if not PRE_MERMAID.search(text):
            continue
        for h in re.finditer(r'<h([1-6])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', text, re.S | re.I):
            heading = html.unescape(re.sub(r"<[^>]+>", "", h.group(3))).lower()
            if needle in heading:
                rel = page_url("", path.relative_to(site)).lstrip("/")
                return rel, ("" if h.group(1) == "1" else h.group(2))
    return DEFAULT_SCREENSHOT_PAGE, ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", type=Path, default=Path("target/site"))
    ap.add_argument("--base", required=True, help="where the site is served, e.g. http://127.0.0.1:8123/")
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--screenshot-page", default=os.environ.get("SCREENSHOT_PAGE") or None,
                    help="page to photograph, relative to the site (e.g. encryption/behaviour/#anchor)")
    ap.add_argument("--screenshot-title", default="Encrypt with reads-for",
                    help="without --screenshot-page: photograph the diagram under this heading")
    ap.add_argument("--screenshot", type=Path, default=Path("target/screenshots/reads-for-encryption.png"))
    args = ap.parse_args()

    site = args.site
    if not (site / "index.html").is_file():
        print(f"{site}/index.html is missing: run scripts/site.sh first", file=sys.stderr)
        return 2
    print("chromium flags: " + " ".join(
        f"'{f}'" if " " in f else f for f in [*BASE_FLAGS, *BLOCK_FLAGS, "--user-data-dir=<new empty dir>"]))

    problems = static_check(site)
    print(f"static check (no absolute script/stylesheet addresses, mermaid from the site): "
          f"{'ok' if not problems else 'FAILED'}")
    for p in problems:
        print("    " + p)

    with tempfile.TemporaryDirectory(prefix="render-check-") as work:
        problems += offline_check(args.chromium, args.base, Path(work))

    count, failures = check_pages(args.chromium, site, args.base)
    problems += check_other_pages(args.chromium, site, args.base)
    problems += check_layout(args.chromium, site, args.base)

    page, anchor = screenshot_target(site, args.screenshot_page, args.screenshot_title)
    url = args.base.rstrip("/") + "/" + page.lstrip("/") + (f"#{anchor}" if anchor else "")
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    args.screenshot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="render-check-") as work:
        wrapper = Path(work) / "screenshot.html"
        wrapper.write_text(SCREENSHOT_WRAPPER % {
            "w": SCREENSHOT_WIDTH, "h": SCREENSHOT_HEIGHT, "url": html.escape(url)}, encoding="utf-8")
        rc, _, err = run_chromium(args.chromium, f"--screenshot={args.screenshot.resolve()}",
                                  f"--window-size={SCREENSHOT_WIDTH},{SCREENSHOT_HEIGHT}", wrapper.as_uri())
    size = args.screenshot.stat().st_size if args.screenshot.is_file() else 0
    if rc == 0 and size > BLANK_SCREENSHOT_BYTES:
        print(f"screenshot: {url} -> {args.screenshot} ({size} bytes)")
    elif rc == 0 and size:
        problems.append(f"screenshot of {url} looks blank ({size} bytes): {args.screenshot}")
    else:
        problems.append(f"screenshot of {url} failed (exit {rc}): {' / '.join(page_messages(err))}")

    for p in problems:
        print(f"FAILED: {p}")
    bad = len(failures) + len(problems)
    # Pages with diagrams, plus the static, offline and screenshot checks.
    print(f"browser-test: {count - len(failures)} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
