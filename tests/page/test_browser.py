"""The citizen page in a real browser (Debian's headless chromium, driven by Playwright) against the real
stack: ``hotline-ledger run --demo`` (devnet, contract, API, anchor worker). A correct ticket ends verified;
a proxy that flips one byte of an entry or swaps the checkpoint makes it fail; an unreachable chain leaves
it incomplete; wrong codes are refused, then locked out. Screenshots go to ``$HOTLINE_TEST_ARTIFACTS``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ledger.devnet.process import free_port
from tests.api.servers import api_server
from tests.api.test_run_command import Stack
from tests.page.tamper_proxy import tamper_proxy
from verifier.checkpoint import parse_checkpoint_body, sign_checkpoint
from verifier.note import NoteSigner

CHROMIUM = Path("/usr/bin/chromium")
FINAL = ("verified", "failed", "incomplete")
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Demo:
    stack: Stack
    ticket: str
    code: str
    steps: int
    deployment: dict[str, Any]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(os.environ.get("HOTLINE_TEST_ARTIFACTS") or tmp_path_factory.mktemp("artifacts")) / "page"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/test installs it (apt-get install chromium)")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield launched
        launched.close()


def _history(url: str, ticket: str, code: str) -> list[dict[str, Any]]:
    answer = httpx.post(f"{url}/v1/public/tickets/{ticket}", json={"query_code": code}, timeout=10)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The README's stack with demo tickets; waits until the ticket with the longest history is anchored."""
    os.environ.update(HOTLINE_QUERY_CODE_BURST="1000", HOTLINE_QUERY_CODE_MAX_FAILURES="1000")
    stack = Stack(tmp_path_factory.mktemp("stack") / "var")
    try:
        stack.start("--demo", "8")
        codes = json.loads((stack.data / "demo.json").read_text())
        histories = {item["ticket"]: _history(stack.url, item["ticket"], item["code"]) for item in codes}
        ticket = max(histories, key=lambda t: len(histories[t]))
        code = next(item["code"] for item in codes if item["ticket"] == ticket)
        last = histories[ticket][-1]["index"]
        deadline = time.monotonic() + 90
        while not any(a["tree_size"] > last for a in httpx.get(f"{stack.url}/v1/anchors").json()):
            assert time.monotonic() < deadline, "the demo was not anchored in time"
            time.sleep(0.5)
        deployment = json.loads((stack.data / "deployment.json").read_text())
        yield Demo(stack, ticket, code, len(histories[ticket]), deployment)
    finally:
        for name in ("HOTLINE_QUERY_CODE_BURST", "HOTLINE_QUERY_CODE_MAX_FAILURES"):
            os.environ.pop(name, None)
        if stack.process is not None:
            stack.stop()


def _side_server(demo: Demo, log: Path, **env: str) -> Any:
    """A second API process on the demo's data, configured by ``env`` (another trust setting, other limits)."""
    chain = {
        "HOTLINE_RPC_URLS": f"http://127.0.0.1:{demo.stack.chain_port}",
        "HOTLINE_CHAIN_ID": str(demo.deployment["chain_id"]),
        "HOTLINE_CONTRACT_ADDRESS": demo.deployment["contract"],
    }
    return api_server(demo.stack.data, log, **{**chain, **env})


def lookup(page: Page, url: str, ticket: str, code: str, *, lang: str = "zh") -> str:
    """Fill in the form like a citizen (keyboard included) and wait for the verification's end state."""
    page.goto(f"{url}/")
    if lang == "en":
        page.click("#lang-toggle")
    page.fill("#ticket", ticket)
    page.fill("#code", code)
    page.focus("#code")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#lookup-error') || "
        f"{json.dumps(FINAL)}.includes(document.querySelector('#verification-status')?.dataset.state)",
        timeout=30_000,
    )
    if page.locator("#lookup-error").count():
        return "refused:" + str(page.get_attribute("#lookup-error", "data-error"))
    return str(page.get_attribute("#verification-status", "data-state"))


def _marks(page: Page) -> list[str]:
    return [str(m) for m in page.locator("#timeline .mark").evaluate_all("els => els.map(e => e.dataset.mark)")]


#: Every visible text's contrast against its background (WCAG 2.x relative luminance): those below 4.5:1.
LOW_CONTRAST = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!el.offsetParent || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}: ${el.textContent.slice(0, 30)}`);
  }
  return low;
}"""


def _shoot(page: Page, path: Path) -> None:
    """A full-page screenshot, and one of the first screen (``*-screen.png``, what the README shows)."""
    page.screenshot(path=str(path), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path.with_name(path.stem + "-screen.png")))
    assert path.stat().st_size > 10_000


def test_a_correct_ticket_ends_verified(demo: Demo, browser: Browser, artifacts: Path) -> None:
    errors: list[str] = []
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert lookup(page, demo.stack.url, demo.ticket, demo.code) == "verified", page.inner_text("#result")
        assert _marks(page) == ["verified"] * demo.steps
        assert page.is_visible("#anchor-info") and page.inner_text("#anchor-block").isdigit()
        assert page.inner_text("#anchor-tx").startswith("0x")
        assert page.get_attribute("#download-bundle", "download") == f"{demo.ticket}.bundle.json"
        assert "已在您的浏览器中核验" in page.inner_text("#verification-status")
        assert demo.code not in page.url and demo.code not in page.content()
        # Readable at 360 px: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert page.evaluate(LOW_CONTRAST) == []  # WCAG AA for normal text, in every state shown
        _shoot(page, artifacts / f"citizen-{name}-zh.png")
        page.click("#lang-toggle")  # English, in place: the verified result stays
        assert "Verified in your browser" in page.inner_text("#verification-status")
        assert page.get_attribute("html", "lang") == "en"
        _shoot(page, artifacts / f"citizen-{name}-en.png")
        with page.expect_download() as download:
            page.click("#download-bundle")
        saved = artifacts / f"{demo.ticket}.bundle.json"
        download.value.save_as(saved)
        assert json.loads(saved.read_text())["v"] == "hotline.bundle/v1"
        assert not errors, errors
        context.close()


def _flip_entry_byte(bundle: bytes) -> bytes:
    document = json.loads(bundle)
    data = bytearray(base64.b64decode(document["entries"][0]["data"]))
    data[len(data) // 2] ^= 0x01
    document["entries"][0]["data"] = base64.b64encode(bytes(data)).decode()
    return json.dumps(document).encode()


def _swap_checkpoint(bundle: bytes) -> bytes:
    """The same checkpoint body with another root, signed by an impostor key of the operator's name."""
    document = json.loads(bundle)
    text, _, signatures = document["checkpoint"].partition("\n\n")
    name = signatures.removeprefix("— ").split(" ", 1)[0]
    checkpoint = parse_checkpoint_body(text + "\n")
    forged = type(checkpoint)(checkpoint.origin, checkpoint.tree_size, bytes(32))
    document["checkpoint"] = sign_checkpoint(forged, NoteSigner.generate(name))
    return json.dumps(document).encode()


@pytest.mark.parametrize(("tamper", "step"), [(_flip_entry_byte, "V2"), (_swap_checkpoint, "V4")])
def test_tampered_evidence_ends_failed(demo: Demo, browser: Browser, artifacts: Path, tamper: Any, step: str) -> None:
    with tamper_proxy(demo.stack.url, tamper) as proxy:
        page = browser.new_page(viewport=PHONE)
        assert lookup(page, proxy, demo.ticket, demo.code) == "failed"
        detail = page.inner_text("#verification-detail")
        assert f"（{step}）" in detail, detail  # the failed step is named
        assert "failed" in _marks(page) and "verified" not in _marks(page)
        _shoot(page, artifacts / f"citizen-failed-{step}.png")
        page.close()


def test_an_unreachable_chain_ends_incomplete(demo: Demo, browser: Browser, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with _side_server(demo, tmp_path / "api.log", HOTLINE_PUBLIC_RPC_URL=closed) as server:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{server.url}/?lang=en")
        assert lookup(page, server.url, demo.ticket, demo.code, lang="zh") == "incomplete"
        detail = page.inner_text("#verification-detail")
        assert "区块链上的锚定" in detail and "could not be reached" in detail  # a step that could not run
        assert set(_marks(page)) == {"incomplete"}
        page.close()


def test_wrong_codes_are_refused_then_locked_out(demo: Demo, browser: Browser, tmp_path: Path) -> None:
    env = {"HOTLINE_QUERY_CODE_MAX_FAILURES": "3", "HOTLINE_QUERY_CODE_BURST": "100"}
    with _side_server(demo, tmp_path / "api.log", **env) as server:
        page = browser.new_page(viewport=PHONE)
        wrong = "ZZZZZZZZ" if demo.code != "ZZZZZZZZ" else "YYYYYYYY"
        unknown = lookup(page, server.url, "T-NO-SUCH-TICKET", demo.code)
        answers = [lookup(page, server.url, demo.ticket, wrong) for _ in range(2)]
        assert [unknown, *answers] == ["refused:ticket_not_found"] * 3  # unknown ticket and wrong code alike
        assert lookup(page, server.url, demo.ticket, demo.code) == "refused:locked_out"  # the right code too
        assert "分钟后再试" in page.inner_text("#lookup-error")
        assert page.locator("#timeline").count() == 0
        page.close()


def test_without_javascript_the_server_renders_the_timeline(demo: Demo, browser: Browser, artifacts: Path) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{demo.stack.url}/t/{demo.ticket}")
    assert page.input_value("#ticket") == demo.ticket
    page.fill("#code", demo.code)
    page.click("#lookup")  # a plain form POST: the code goes in the body
    page.wait_for_selector("#timeline")
    assert page.url == f"{demo.stack.url}/"
    assert page.locator("#timeline li.step").count() == demo.steps
    assert page.get_attribute("#verification-status", "data-state") == "incomplete"
    assert "JavaScript" in page.inner_text("#verification-status")
    assert set(_marks(page)) == {"unchecked"}
    _shoot(page, artifacts / "citizen-nojs-zh.png")
    context.close()
