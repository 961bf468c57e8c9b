// The citizen page's behaviour: language toggle, lookup without a reload, and verification of the
// ticket's bundle in this browser (bundle.js), with a mark per step and an overall result in
// #verification-status (data-state verified | failed | incomplete). The query code stays in memory:
// it is sent only in POST bodies, never put in a URL or stored.
import { verifyBundle } from "./bundle.js";

const config = JSON.parse(document.getElementById("trust-config").textContent);

const STEP_NAMES = {
  V1: ["读取证据", "reading the evidence"],
  V2: ["重算每一步的哈希", "recomputing each step's hash"],
  V3: ["每一步在日志中的包含证明", "the proof that each step is in the log"],
  V4: ["运营方对日志的签名", "the operator's signature on the log"],
  V5: ["区块链上的锚定", "the anchor on the blockchain"],
  V7: ["工单各步骤的前后链接", "the links between the ticket's steps"],
  PAGE: ["页面显示与证据一致", "the page showing what the evidence says"],
};

const MARKS = {
  checking: ["核验中", "checking"],
  verified: ["已核验", "verified"],
  failed: ["核验失败", "failed"],
  pending: ["待上链锚定", "pending anchoring"],
  incomplete: ["未完成核验", "not fully checked"],
};

function bilingual(element, zh, en) {
  const a = document.createElement("span");
  a.className = "zh";
  a.textContent = zh;
  const b = document.createElement("span");
  b.className = "en";
  b.lang = "en";
  b.textContent = en;
  element.replaceChildren(a, b);
}

function setLang(lang) {
  const root = document.documentElement;
  root.dataset.lang = lang;
  root.lang = lang === "en" ? "en" : "zh-Hans";
  const toggle = document.getElementById("lang-toggle");
  toggle.href = `?lang=${lang === "en" ? "zh" : "en"}`;
  toggle.hreflang = lang === "en" ? "zh-Hans" : "en";
  for (const input of document.querySelectorAll('input[name="lang"]')) input.value = lang;
}

function setStatus(state, summary, detail = ["", ""]) {
  const status = document.getElementById("verification-status");
  if (!status) return;
  status.dataset.state = state;
  bilingual(document.getElementById("verification-summary"), ...summary);
  bilingual(document.getElementById("verification-detail"), ...detail);
}

function mark(li, state) {
  const element = li.querySelector(".mark");
  element.dataset.mark = state;
  bilingual(element, ...MARKS[state]);
}

function stepName(id) {
  return STEP_NAMES[id] || [id, id];
}

/** Whether the step the server rendered says what the verified entry says. */
function matches(li, entry) {
  const d = li.dataset;
  return Number(d.seq) === entry.seq && d.event === entry.event && d.to === entry.to && d.at === entry.at;
}

function showAnchor(anchor) {
  const section = document.getElementById("anchor-info");
  document.getElementById("anchor-block").textContent = anchor.blockNumber.toString();
  const time = new Date(Number(anchor.timestamp) * 1000);
  document.getElementById("anchor-time").textContent = time.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  document.getElementById("anchor-tx").textContent = anchor.tx;
  section.hidden = false;
}

function offerDownload(ticket, text) {
  const link = document.getElementById("download-bundle");
  link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  link.download = `${ticket}.bundle.json`;
  link.hidden = false;
}

async function fetchBundle(ticket, code) {
  return fetch(`/v1/public/tickets/${encodeURIComponent(ticket)}/bundle`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query_code: code }),
  });
}

/** Verify the rendered timeline against the ticket's bundle, step by step. */
async function verify(code) {
  const timeline = document.getElementById("timeline");
  if (!timeline) return;
  const ticket = timeline.dataset.ticket;
  const steps = [...timeline.querySelectorAll("li.step")];
  steps.forEach((li) => mark(li, "checking"));
  setStatus("checking", ["正在您的浏览器中核验……", "Checking in your browser…"]);
  if (!config.chain_id || !config.contract || !config.rpc_url) {
    steps.forEach((li) => mark(li, "incomplete"));
    setStatus("incomplete", ["未能完成核验", "Not fully verified"], ["本服务未配置区块链。", "This server has no chain configured."]);
    return;
  }
  let response;
  try {
    response = await fetchBundle(ticket, code);
  } catch {
    steps.forEach((li) => mark(li, "incomplete"));
    setStatus("incomplete", ["未能完成核验", "Not fully verified"], ["无法获取证据，请检查网络。", "The evidence could not be fetched; check your connection."]);
    return;
  }
  if (response.status === 409) {
    steps.forEach((li) => mark(li, "pending"));
    setStatus("incomplete", ["尚未上链锚定", "Not anchored yet"], ["这些步骤刚刚记录，几分钟后会锚定到区块链，请稍后再查。", "These steps were just recorded; they are anchored on the chain within minutes. Please look again later."]);
    return;
  }
  if (!response.ok) {
    steps.forEach((li) => mark(li, "incomplete"));
    setStatus("incomplete", ["未能完成核验", "Not fully verified"], [`证据暂时无法获取（HTTP ${response.status}），请稍后再试。`, `The evidence is not available right now (HTTP ${response.status}); try again later.`]);
    return;
  }
  const text = await response.text();
  offerDownload(ticket, text);
  const report = await verifyBundle(text, config, ticket);
  const size = report.checkpoint ? report.checkpoint.size : null;
  let mismatch = null;
  let pending = 0;
  const shownSeqs = steps.map((li) => Number(li.dataset.seq));
  for (const li of steps) {
    const index = Number(li.dataset.index);
    const result = report.entries.get(index);
    if (result && result.status === "failed") mark(li, "failed");
    else if (result && result.entry && !matches(li, result.entry)) {
      mark(li, "failed");
      mismatch = mismatch || `step ${li.dataset.seq}`;
    } else if (result && result.status === "verified") mark(li, "verified");
    else if (result && result.status === "unanchored") mark(li, "incomplete");
    else if (size !== null && BigInt(index) >= size) {
      mark(li, "pending");
      pending++;
    } else mark(li, report.state === "failed" ? "failed" : "incomplete");
  }
  for (const [index, result] of report.entries) {
    const hidden = result.entry && !steps.some((li) => Number(li.dataset.index) === index);
    if (hidden && result.entry.seq <= Math.max(...shownSeqs)) mismatch = mismatch || `step ${result.entry.seq} (hidden)`;
  }
  if (report.anchor) showAnchor(report.anchor);
  if (report.state === "failed" || mismatch) {
    const failure = mismatch ? { id: "PAGE", detail: `the page does not show what the evidence says at ${mismatch}` } : report.firstFailure;
    const [zh, en] = stepName(failure.id);
    setStatus("failed", ["核验失败：记录可能被篡改", "Verification FAILED: the record may have been altered"], [`未通过的步骤：${zh}（${failure.id}）。${failure.detail}`, `Failed step: ${en} (${failure.id}). ${failure.detail}`]);
  } else if (report.state === "incomplete") {
    const failure = report.firstFailure;
    const [zh, en] = stepName(failure.id);
    setStatus("incomplete", ["未能完成核验", "Not fully verified"], [`无法完成：${zh}。${failure.detail} 已核验的部分没有发现问题。`, `Could not complete: ${en}. ${failure.detail} Nothing checked so far was wrong.`]);
  } else if (pending) {
    setStatus("incomplete", ["部分步骤待锚定", "Some steps await anchoring"], [`已锚定的步骤均已核验；最新 ${pending} 步尚未上链锚定，请稍后再查。`, `Every anchored step is verified; the latest ${pending} step(s) are not anchored yet. Look again later.`]);
  } else {
    setStatus("verified", ["已在您的浏览器中核验", "Verified in your browser"], ["每一步的哈希、包含证明、运营方签名和区块链上的锚定都已核对无误。", "Each step's hash, its inclusion proof, the operator's signature and the anchor on the blockchain all check out."]);
  }
}

async function lookup(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("#lookup");
  const code = form.elements.code.value.trim();
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "text/html" },
    });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("result");
    // The server's "incomplete" speaks for a page without scripts; here the check is about to run.
    const status = fresh.querySelector("#verification-status");
    if (status) status.dataset.state = "checking";
    const result = document.getElementById("result");
    result.replaceChildren(...fresh.childNodes);
    result.focus({ preventScroll: true });
    result.scrollIntoView({ block: "start" });
    if (document.getElementById("timeline")) await verify(code);
  } catch {
    const result = document.getElementById("result");
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    bilingual(p, "网络错误，请稍后再试。", "Network error; please try again.");
    result.replaceChildren(p);
  } finally {
    button.disabled = false;
  }
}

document.getElementById("lang-toggle").addEventListener("click", (event) => {
  event.preventDefault();
  setLang(document.documentElement.dataset.lang === "en" ? "zh" : "en");
});
document.getElementById("lookup-form").addEventListener("submit", lookup);
