"""The HTML report beside an exported bundle: what a regulator or a court reads rather than parses.

One self-contained page (inline CSS and SVG, no script, nothing fetched), printable to PDF from a
browser: what was exported and why, the verification step by step, on-time rates per department from
anchored times, notable events, the anchoring-lag distribution, the commands to verify it
independently, and an evidence section following the four points Chinese courts review for
blockchain evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from verifier.bundle import Bundle
from verifier.export_stats import NOTABLE, ExportStats
from verifier.policy import Policy
from verifier.report import Outcome, Report, Status

NOTABLE_LABELS = {
    "returns": ("退单申请", "return requests"),
    "extensions": ("延期申请", "extension requests"),
    "urges": ("催办", "urges"),
    "yellow_cards": ("黄牌督办", "yellow cards"),
    "red_cards": ("红牌督办", "red cards"),
    "dissatisfied": ("回访不满意", "dissatisfied callbacks"),
    "rework": ("重办", "rework"),
}
STATUS_LABELS = {Status.PASSED: "通过 passed", Status.FAILED: "未通过 FAILED", Status.NOT_RUN: "未运行 not run"}
OUTCOME_LABELS = {
    Outcome.VERIFIED: "验证通过 VERIFIED",
    Outcome.FAILED: "验证失败 FAILED",
    Outcome.INCOMPLETE: "验证未完成 INCOMPLETE",
}

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
 color:#1a1a1a;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:2px solid #1f4e79;padding-bottom:.2rem;
 margin-top:2rem}small{color:#444;font-weight:normal}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #999;padding:.3rem .5rem;
 text-align:left;vertical-align:top;font-size:.9rem}th{background:#e8eef5}td.n{text-align:right;
 font-variant-numeric:tabular-nums}
.outcome{display:inline-block;padding:.3rem .8rem;border-radius:.3rem;font-weight:bold;color:#fff}
.VERIFIED{background:#1b6e20}.FAILED{background:#a31515}.INCOMPLETE{background:#7a5200}
.failed{color:#a31515;font-weight:bold}.not_run{color:#7a5200}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:.85rem;word-break:break-all;white-space:pre-wrap}
pre{background:#f3f3f3;padding:.6rem;border:1px solid #ccc}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}
"""


@dataclass(frozen=True)
class ReportContext:
    """Where the bundle came from and how it was checked (for the header and the commands)."""

    bundle_name: str
    bundle_sha256: bytes
    rpc_urls: Sequence[str]
    trust_name: str = "trust.json"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers) if any(headers) else ""
    body = []
    for row in rows:
        cells = []
        for position, value in enumerate(row):
            css = ' class="n"' if position in numeric else ""
            cells.append(f"<td{css}>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{''.join(body)}</tbody></table>"


def _bars(title: str, items: Sequence[tuple[str, float, str]], *, maximum: float) -> str:
    """A horizontal bar chart as inline SVG: (label, value, shown value)."""
    row, label_width, width = 22, 210, 640
    height = row * len(items) + 30
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for position, (label, value, shown) in enumerate(items):
        y = 24 + position * row
        length = 0 if maximum <= 0 else (width - label_width - 70) * value / maximum
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label[:32])}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="14" fill="#1f4e79"/>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 14}" font-size="12">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _state(policy: Policy | None, code: str) -> str:
    state = policy.states.get(code) if policy else None
    return f"{state.zh} {code}" if state else code


def _header(bundle: Bundle, report: Report, context: ReportContext) -> str:
    export = bundle.export
    issued = bundle.issued
    title = f"导出 {export.id}" if export else f"证据包 {context.bundle_name}"
    rows = [
        ("日志 Log", f"<code>{escape(bundle.origin)}</code>"),
        ("检查点 Checkpoint", f"size {bundle.anchor.size}, root <code>{bundle.anchor.root.hex()}</code>"),
        (
            "上链 Anchor",
            f"chain {bundle.chain.chain_id}, contract <code>{escape(bundle.chain.contract)}</code>, block "
            f"{bundle.anchor.block_number}, tx <code>0x{bundle.anchor.tx.hex()}</code>",
        ),
        (
            "证据包 Bundle",
            f"<code>{escape(context.bundle_name)}</code>, SHA-256 <code>{context.bundle_sha256.hex()}</code>",
        ),
    ]
    if issued is not None:
        rows.append(
            ("签发 Issued", f"{escape(issued.at)} by {escape(issued.by)}, key <code>{escape(issued.key)}</code>")
        )
    outcome = report.outcome
    return (
        f"<h1>12345 热线工单存证报告 <small>Hotline evidence report — {escape(title)}</small></h1>"
        f'<p><span class="outcome {outcome.value}">{OUTCOME_LABELS[outcome]}</span> {escape(report.summary())}</p>'
        + _table(["", ""], [(escape(k), v) for k, v in rows])
    )


def _scope(bundle: Bundle, stats: ExportStats | None) -> str:
    lines = ["<h2>导出内容与缘由 <small>What was exported, and why</small></h2>"]
    if bundle.export is None:
        lines.append(f"<p>A bundle of {len(bundle.entries)} entries (not a signed export).</p>")
        return "".join(lines)
    chosen = bundle.export.filter
    shown = [
        ("缘由 Reason", escape(str(chosen.get("reason") or "—"))),
        ("部门 Department", escape(str(chosen.get("org") or "全部 all"))),
        ("时段 Period", f"{escape(str(chosen.get('from') or '…'))} – {escape(str(chosen.get('to') or '…'))}"),
        ("工单 Tickets named", escape(", ".join(chosen.get("tickets") or []) or "—")),
        ("状态 States", escape(", ".join(chosen.get("states") or []) or "—")),
        ("披露个人信息 Disclosure", "是 yes (payloads with salts)" if chosen.get("disclose") else "否 no"),
        ("工单数 Tickets", str(len(bundle.export.tickets))),
        ("条目数 Entries", str(len(bundle.entries))),
    ]
    if stats is not None and stats.as_of is not None:
        shown.append(("统计截至 As of (anchor time)", escape(stats.as_of.isoformat())))
    lines.append(_table(["", ""], shown))
    return "".join(lines)


def _verification(report: Report) -> str:
    rows = [
        (
            r.step,
            escape(r.document()["title"]),
            f'<span class="{r.status.value}">{STATUS_LABELS[r.status]}</span>',
            escape(r.detail),
        )
        for r in report.ordered
    ]
    return "<h2>验证结果 <small>Verification, step by step</small></h2>" + _table(
        ["步骤 Step", "检查 Check", "结果 Result", "说明 Detail"], rows
    )


def _departments(stats: ExportStats, policy: Policy | None) -> str:
    out = ["<h2>各部门办理时限 <small>On-time rates per department (completion at anchored time)</small></h2>"]
    rows = []
    for org in sorted(stats.departments):
        department = stats.departments[org]
        for (start, until), record in sorted(department.limits.items()):
            rate = "—" if record.rate is None else f"{record.rate:.1%}"
            rows.append(
                (
                    escape(org),
                    escape(f"{_state(policy, start)} → {_state(policy, until)}"),
                    record.met,
                    record.missed,
                    f"{record.open} ({record.overdue})",
                    rate,
                )
            )
    out.append(
        _table(
            ["部门 Department", "时限 Limit", "按时 Met", "超时 Missed", "未结(已超期) Open (overdue)", "按时率 Rate"],
            rows,
            numeric=(2, 3, 4, 5),
        )
    )
    rated = [(org, d.rate) for org, d in sorted(stats.departments.items()) if d.rate is not None]
    if rated:
        out.append(_bars("按时率 On-time rate", [(org, rate, f"{rate:.1%}") for org, rate in rated], maximum=1.0))
    return "".join(out)


def _events(stats: ExportStats) -> str:
    headers = ["部门 Department"] + [f"{zh} {en}" for zh, en in (NOTABLE_LABELS[k] for k in NOTABLE)]
    rows: list[list[Any]] = [
        [escape(org), *(stats.departments[org].counts.get(k, 0) for k in NOTABLE)] for org in sorted(stats.departments)
    ]
    rows.append(["<b>合计 Total</b>", *(f"<b>{stats.counts.get(k, 0)}</b>" for k in NOTABLE)])
    numeric = tuple(range(1, len(NOTABLE) + 1))
    return "<h2>事件统计 <small>Returns, extensions, urges, cards, callbacks, rework</small></h2>" + _table(
        headers, rows, numeric
    )


def _lag(stats: ExportStats) -> str:
    histogram = stats.lag_histogram()
    quantiles = [(q, stats.lag_quantile(q)) for q in (0.5, 0.9, 1.0)]
    shown = ", ".join(f"p{int(q * 100)} {value:.1f} s" for q, value in quantiles if value is not None)
    chart = _bars(
        "上链时延分布 Anchoring lag", [(label, count, str(count)) for label, count in histogram],
        maximum=max((c for _, c in histogram), default=0),
    )  # fmt: skip
    return (
        "<h2>上链时延 <small>Anchoring lag: from the claimed time to the first anchor covering the entry</small></h2>"
        f"<p>{len(stats.lags)} transitions; {escape(shown) or '—'}.</p>{chart}"
    )


def _commands(bundle: Bundle, context: ReportContext) -> str:
    rpc = " ".join(f"--rpc {escape(u)}" for u in context.rpc_urls) or "--rpc URL"
    return (
        "<h2>独立验证 <small>Verify it yourself</small></h2>"
        "<p>With the trust file received from the operator out of band (never from this report or the bundle), "
        "and any node of the chain:</p>"
        f"<pre>sha256sum {escape(context.bundle_name)}    # {context.bundle_sha256.hex()}\n"
        f"pip install hotline-ledger    # the verifier needs no server software\n"
        f"hotline-verify bundle {escape(context.bundle_name)} --trust {escape(context.trust_name)} {rpc}</pre>"
        "<p>It exits 0 only when every step above passes; the log itself records this export "
        "(<code>hotline.export/v1</code>, with the bundle's SHA-256).</p>"
    )


def _court(bundle: Bundle, report: Report, context: ReportContext) -> str:
    anchor = bundle.anchor
    points = [
        (
            "一、存证平台 Platform",
            f"Checkpoints of the log are anchored on the permissioned EVM chain {bundle.chain.chain_id}, in the "
            f"contract <code>{escape(bundle.chain.contract)}</code> "
            f"(log id <code>0x{bundle.chain.log_id.hex()}</code>). "
            f"This report read it through {len(context.rpc_urls)} endpoint(s): "
            f"{escape(', '.join(context.rpc_urls)) or 'none (offline)'}; with several, they had to agree.",
        ),
        (
            "二、中立性 Neutrality",
            "The contract accepts a checkpoint only with a consistency proof that it extends the previous one, "
            "cannot delete or overwrite an anchored root and is not upgradeable: append-only is enforced by the "
            "chain, not promised by the operator. The verifier is a separate program that trusts only the trust "
            "file and the chain; the export itself is recorded in the log it exports from.",
        ),
        (
            "三、系统安全 System",
            f"Checkpoints are signed with the operator's Ed25519 key ({escape(bundle.verifier_key.split('+')[0])}, "
            "C2SP signed notes); the export is signed with a separate exporter key"
            + (f" (<code>{escape(bundle.issued.key)}</code>)" if bundle.issued else "")
            + ". Personal content is never in the log, only salted commitments; "
            + ("this export discloses payloads with their salts." if bundle.disclosures else "it discloses none."),
        ),
        (
            "四、存证技术与过程 Storage technique and process",
            "Every state transition of a ticket is an RFC 8785 canonical JSON entry in an RFC 9162 SHA-256 Merkle "
            "log; each ticket's entries are hash-chained; signed checkpoints are anchored on chain. This bundle "
            f"proves {len(bundle.entries)} entries against the checkpoint of size {anchor.size}, anchored in block "
            f"{anchor.block_number} (tx <code>0x{anchor.tx.hex()}</code>). Outcome of the checks: "
            f"<b>{OUTCOME_LABELS[report.outcome]}</b>.",
        ),
    ]
    items = "".join(f"<h3>{title}</h3><p>{text}</p>" for title, text in points)
    return "<h2>电子证据审查要点 <small>The four points courts review for blockchain evidence</small></h2>" + items


def render_report(
    bundle: Bundle, report: Report, stats: ExportStats | None, context: ReportContext, policy: Policy | None
) -> str:
    """The whole report as one HTML document."""
    sections = [_header(bundle, report, context), _scope(bundle, stats), _verification(report)]
    if stats is not None:
        sections += [_departments(stats, policy), _events(stats), _lag(stats)]
    else:
        sections.append(
            "<h2>统计 <small>Statistics</small></h2><p>Not computed: anchored times come from the chain, "
            "which was not consulted.</p>"
        )
    sections += [_commands(bundle, context), _court(bundle, report, context)]
    title = escape(bundle.export.id if bundle.export else context.bundle_name)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>存证报告 {title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body>{''.join(sections)}</body></html>\n"
    )
