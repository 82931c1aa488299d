"""The rendered reports in a real browser: headless Chromium opens the index and a region's
policy report from a report run on a small synthetic survey, and the test checks what a reader
gets: the headings and Chinese text on the page, the verdict in the first screen, no request to
any other host, no console error, and a screenshot of each page for a person to look at.

Chromium is driven through the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (the
protocol's JSON messages on file descriptors 3 and 4, NUL-separated), so nothing beyond the
standard library is needed. The test skips only when Chromium is absent and ``CI`` is not set;
in CI a missing Chromium fails it. ``SJE_CHROMIUM`` names another browser binary.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

import shuangjian_eval as sje
from shuangjian_eval import pipeline

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "shuangjian_eval" / "notebooks"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1280,900",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
LOCAL_SCHEMES = {"file", "data", "about", "blob"}


def _find_chromium() -> str | None:
    for name in (
        os.environ.get("SJE_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "/usr/bin/chromium",
    ):
        if name and (found := shutil.which(name)):
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = _find_chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and in CI the browser test must run")
        pytest.skip("Chromium not found (install it or set SJE_CHROMIUM); CI is not set")
    return exe


class Browser:
    """Headless Chromium over the DevTools protocol on a pipe."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_browser, from_browser = os.pipe(), os.pipe()
        # keep our ends clear of 3 and 4, where the browser expects the protocol
        r_cmd, w_cmd = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in to_browser)
        r_evt, w_evt = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in from_browser)
        for fd in (*to_browser, *from_browser):
            os.close(fd)
        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=lambda: (os.dup2(r_cmd, 3), os.dup2(w_evt, 4)),
        )
        os.close(r_cmd)
        os.close(w_evt)
        self.w, self.r = w_cmd, r_evt
        self.buffer, self.last_id, self.events = b"", 0, []

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                return None
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed the protocol pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60.0) -> dict[str, Any]:  # fmt: skip
        self.last_id += 1
        msg: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while (reply := self._receive(deadline)) is not None:
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(f"no reply to {method} in {timeout} s")

    def wait_for(self, method: str, session: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        seen = lambda e: e.get("method") == method and e.get("sessionId") == session  # noqa: E731
        while not any(seen(e) for e in self.events):
            event = self._receive(deadline)
            if event is None:
                raise TimeoutError(f"no {method} in {timeout} s")
            self.events.append(event)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (event := self._receive(deadline)) is not None:
            self.events.append(event)

    def evaluate(self, expression: str, session: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                        session)  # fmt: skip
        return res["result"].get("value")

    def visit(self, url: str, screenshot: Path) -> dict[str, Any]:
        """Open ``url`` in a new tab; its text, requests, console errors and screenshots."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride", VIEWPORT, session)
        self.send("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        self.drain(1.0)  # late requests and messages
        text = self.evaluate("document.body.innerText", session)
        headline_top = self.evaluate(
            "(() => { const e = document.querySelector('.sje-headline');"
            " return e ? e.getBoundingClientRect().top : null; })()",
            session,
        )
        shot = self.send("Page.captureScreenshot", {"format": "png"}, session)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        size = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        full = self.send("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True, "clip": clip}, session)  # fmt: skip
        full_path = screenshot.with_name(screenshot.stem + "-full.png")
        full_path.write_bytes(base64.b64decode(full["data"]))
        print(f"screenshots: {screenshot} {full_path}")
        mine = [e for e in self.events if e.get("sessionId") == session]
        requests = [e["params"]["request"]["url"] for e in mine
                    if e["method"] == "Network.requestWillBeSent"]  # fmt: skip
        errors = [e["params"] for e in mine if e["method"] == "Runtime.exceptionThrown"]
        errors += [e["params"] for e in mine if e["method"] == "Runtime.consoleAPICalled"
                   and e["params"]["type"] in ("error", "assert")]  # fmt: skip
        errors += [e["params"]["entry"] for e in mine if e["method"] == "Log.entryAdded"
                   and e["params"]["entry"]["level"] == "error"]  # fmt: skip
        self.send("Target.closeTarget", {"targetId": target})
        return {"text": text, "requests": requests, "errors": errors, "headline_top": headline_top}

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    df = sje.synth.generate(
        n_schools=24, students_per_school=16, n_counties=3, waves=(2019, 2020, 2022, 2024), seed=5
    )
    data = tmp_path_factory.mktemp("data") / "survey.parquet"
    df.to_parquet(data, index=False)
    county = pipeline.list_regions(data)[0]
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setitem(pipeline.NOTEBOOKS, "90_policy_report", {"zh": "政策评估报告", "en": "Policy evaluation report"})  # fmt: skip
        result = pipeline.run_report(
            data,
            out=tmp_path_factory.mktemp("reports"),
            run_id="b",
            regions=f"all,{county}",
            notebooks=["00_data_quality", "90_policy_report"],
            notebook_dir=NOTEBOOK_DIR,
            workers=2,
            progress=False,
        )
    assert result.ok, [(j.region, j.notebook, j.error) for j in result.failed]
    return result, county


@pytest.fixture(scope="module")
def pages(run, chromium, tmp_path_factory):
    result, county = run
    shots = tmp_path_factory.mktemp("screenshots")
    report = next(j for j in result.jobs if j.region == county and j.notebook == "90_policy_report")
    browser = Browser(chromium, tmp_path_factory.mktemp("profile"))
    try:
        return {
            "index": browser.visit(result.index.as_uri(), shots / "index.png"),
            "report": browser.visit(Path(report.html).as_uri(), shots / "90_policy_report.png"),
            "county": county,
            "shots": shots,
        }
    finally:
        browser.close()


@pytest.mark.parametrize("page", ["index", "report"])
def test_nothing_from_another_host_and_no_console_errors(pages, page):
    visit = pages[page]
    assert visit["requests"], "the browser recorded no request at all: the check would be void"
    for url in visit["requests"]:
        parts = urlparse(url)
        assert parts.scheme in LOCAL_SCHEMES and not parts.netloc, f"{page} requested {url}"
    assert not visit["errors"], visit["errors"]
    assert (
        pages["shots"] / f"{'index' if page == 'index' else '90_policy_report'}.png"
    ).stat().st_size > 10_000


def test_index_lists_both_reports(pages):
    text = pages["index"]["text"]
    titles = [pipeline.NOTEBOOKS[n]["zh"] for n in ("00_data_quality", "90_policy_report")]
    for expected in ("双减政策评估报告", "全部地区", pages["county"], *titles):  # link texts
        assert expected in text
    assert "失败 0 份" in text


def test_policy_report_reads_in_chinese_without_code(pages):
    text = pages["report"]["text"]
    headings = ["一、结论摘要", "二、目标完成情况", "三、主要指标的变化", "四、隐形培训与公平",
                "五、督导报表与家庭调查对照", "六、方法与数据说明", "七、名词解释"]  # fmt: skip
    positions = [text.find(h) for h in headings]
    assert all(p >= 0 for p in positions), dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions), "sections out of order"
    title = pipeline.NOTEBOOKS["90_policy_report"]["zh"]
    for expected in (pages["county"], title, "1年目标", "3年目标", "判定规则", "作业时长",
                     "学科类校外培训", "合成演示数据", "方法说明", "数据指纹"):  # fmt: skip
        assert expected in text
    for code in ("import ", "load_or_compute", "briefing.", "display(", "b.heading", "Traceback"):
        assert code not in text, f"code on the page: {code!r}"
    english = re.findall(r"\b(Summary|Verdict|Note|Methods|Coverage|Target|Before the policy|"
                         r"Hidden tutoring|Insufficient)\b", text)  # fmt: skip
    assert not english, f"English in the Chinese report: {english}"


def test_the_verdict_is_in_the_first_screen(pages):
    top = pages["report"]["headline_top"]
    assert top is not None, "no headline box on the page"
    assert 0 <= top < VIEWPORT["height"] - 150, f"the headline starts at {top}px, below the fold"
