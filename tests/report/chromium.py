"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4
out, one JSON message per NUL-terminated line), with the standard library only: no websocket client, no
browser download. It loads a page and reports what a reader's browser would see: console messages,
uncaught exceptions, every network request, facts from the DOM, a full-page screenshot and a printed PDF.

    python tests/report/chromium.py REPORT.html SHOT.png [WIDTH [HEIGHT]]   # a screenshot for people to look at
                                                                         # (the whole page, or its top HEIGHT px)
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--metrics-recording-only", "--mute-audio",
         "--hide-scrollbars", "--disable-dev-shm-usage")
TIMEOUT_S = 60

# What the tests read from the DOM, in one evaluation.
DOM_FACTS = """(() => {
  const text = el => (el.textContent || '').trim().replace(/\\s+/g, ' ');
  return {
    title: document.title,
    h1: [...document.querySelectorAll('h1')].map(text),
    h2: [...document.querySelectorAll('h2')].map(text),
    h3: [...document.querySelectorAll('h3')].map(text),
    sections: [...document.querySelectorAll('section')].map(s => s.querySelector('h2') && s.querySelector('h2').id),
    tables: [...document.querySelectorAll('table')].map(t => ({
      caption: t.caption ? text(t.caption) : null,
      headers: [...t.querySelectorAll('thead th')].map(text),
      scoped: [...t.querySelectorAll('thead th')].every(th => th.getAttribute('scope') === 'col'),
      rows: t.tBodies.length ? t.tBodies[0].rows.length : 0})),
    svgs: [...document.querySelectorAll('svg')].map(s => ({
      title: s.querySelector(':scope > title') ? text(s.querySelector(':scope > title')) : null,
      label: s.getAttribute('aria-label') || s.getAttribute('aria-labelledby'),
      role: s.getAttribute('role'), width: s.getBoundingClientRect().width})),
    figures: [...document.querySelectorAll('figure')].map(f => ({
      label: f.getAttribute('aria-label'),
      caption: f.querySelector('figcaption') ? text(f.querySelector('figcaption')) : null})),
    missing: [...document.querySelectorAll('.missing')].map(text),
    scripts: document.scripts.length,
    external: [...document.querySelectorAll('[src],link[href]')]
      .map(e => e.getAttribute('src') || e.getAttribute('href')),
    overflowX: document.documentElement.scrollWidth > window.innerWidth + 1,
    text: document.body.innerText,
  };
})()"""


def find_chromium() -> str | None:
    given = os.environ.get("HOMEPORT_CHROMIUM")
    if given:
        return given
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@dataclass
class Page:
    console: list[dict] = field(default_factory=list)  # {type, text}
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)  # browser-side errors (a blocked resource, CSP, ...)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, the page itself included
    dom: dict = field(default_factory=dict)
    screenshot: bytes = b""
    pdf: bytes = b""


class Chromium:
    """One browser process; `send` waits for the answer to one command and keeps the events on the way."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="homeport-chromium-")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def as_fd_3_and_4():  # the protocol pipe lives on fixed descriptors in the child
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     pass_fds=(3, 4), preexec_fn=as_fd_3_and_4, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        reply = self._until(lambda m: m.get("id") == self._next, f"the answer to {method}")
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, seen_from: int = 0) -> dict:
        for event in self.events[seen_from:]:
            if event.get("method") == method:
                return event
        return self._until(lambda m: m.get("method") == method, method)

    def _until(self, wanted, what: str) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if wanted(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"chromium: no {what} within {TIMEOUT_S} s")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium exited (code {self.proc.poll()}) before {what}")
                self._buffer += chunk

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def load(html: Path, *, binary: str, width: int = 1280, height: int = 900, screenshot: bool = True,
         pdf: bool = True, clip_height: int | None = None) -> Page:
    """Open `html` as a reader would (file://) and record what happened."""
    browser = Chromium(binary)
    page = Page()
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        mark = len(browser.events)
        browser.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
        browser.wait_event("Page.loadEventFired", mark)
        page.dom = browser.send("Runtime.evaluate", {"expression": DOM_FACTS, "returnByValue": True},
                                session=session)["result"]["value"]
        if screenshot:
            size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(size["height"], clip_height or size["height"]),
                         "scale": 1}}, session=session)
            page.screenshot = base64.b64decode(shot["data"])
        if pdf:
            page.pdf = base64.b64decode(browser.send("Page.printToPDF", {"preferCSSPageSize": True},
                                                     session=session)["data"])
    finally:
        browser.close()
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            page.console.append({"type": params.get("type"), "text": " ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", []))})
        elif method == "Runtime.exceptionThrown":
            page.exceptions.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            page.log_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            page.requests.append(params.get("request", {}).get("url", ""))
    return page


if __name__ == "__main__":
    binary = find_chromium()
    if not binary:
        raise SystemExit("chromium not found: install it (apt-get install -y chromium) or set HOMEPORT_CHROMIUM")
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 1280
    clip = int(sys.argv[4]) if len(sys.argv) > 4 else None
    result = load(Path(sys.argv[1]), binary=binary, width=width, pdf=False, clip_height=clip)
    Path(sys.argv[2]).write_bytes(result.screenshot)
    print(f"wrote {sys.argv[2]}: {len(result.screenshot)} bytes; console {result.console}; "
          f"exceptions {result.exceptions}; requests {result.requests}")
