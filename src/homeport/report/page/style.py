"""The report's stylesheet, inlined into the page (no fonts, images or scripts are fetched): system fonts,
figures in tabular digits, tones that always come with a word, and print rules for A4."""

CSS = """
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; --accent: #0b5cad;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5; --bad: #b3261e; --bad-bg: #ffebe9;
  --mute-bg: #eef1f4;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #ffffff; color: var(--ink);
  font: 15px/1.55 -apple-system, "Segoe UI", system-ui, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 36px 40px 64px; }
code { font: 0.88em/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  background: var(--soft); border: 1px solid #e6e9ed; border-radius: 4px; padding: 0 4px; word-break: break-word; }
code.nb { white-space: nowrap; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1, h2, h3 { line-height: 1.25; margin: 0; }

/* header */
.masthead { border-bottom: 3px solid var(--ink); padding-bottom: 16px; margin-bottom: 22px; }
.eyebrow { font-size: 12px; font-weight: 600; letter-spacing: 0.08em; text-transform: uppercase; color: var(--muted); }
h1 { font-size: 30px; margin-top: 6px; letter-spacing: -0.01em; }
.meta { color: var(--muted); font-size: 13px; margin-top: 6px; }
.verdict { font-size: 17px; line-height: 1.55; margin: 0 0 22px; padding: 14px 18px; background: var(--soft);
  border-left: 4px solid var(--ink); border-radius: 0 6px 6px 0; }

/* key figures */
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin: 0 0 26px; }
.kf { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 12px; border-top-width: 4px; }
.kf .value { font-size: 30px; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.1; }
.kf .label { font-size: 13px; font-weight: 600; margin-top: 4px; }
.kf .note { font-size: 12.5px; color: var(--muted); margin-top: 2px; }
.kf.ok { border-top-color: var(--ok); } .kf.ok .value { color: var(--ok); }
.kf.warn { border-top-color: #d4a72c; } .kf.warn .value { color: var(--warn); }
.kf.bad { border-top-color: var(--bad); } .kf.bad .value { color: var(--bad); }

/* phase tracker */
.tracker { list-style: none; padding: 0; margin: 0 0 34px; display: grid; grid-template-columns: repeat(7, 1fr);
  gap: 0; counter-reset: phase; }
.tracker li { position: relative; padding: 30px 8px 0 0; font-size: 12.5px; }
.tracker li::before { counter-increment: phase; content: counter(phase); position: absolute; top: 0; left: 0;
  width: 22px; height: 22px; border-radius: 50%; display: grid; place-items: center; font-weight: 700; font-size: 12px;
  background: #ffffff; border: 2px solid var(--line); color: var(--muted); z-index: 1; }
.tracker li::after { content: ""; position: absolute; top: 11px; left: 22px; right: 0; height: 2px;
  background: var(--line); }
.tracker li:last-child::after { display: none; }
.tracker li.evidence::before { background: var(--ok); border-color: var(--ok); color: #ffffff; }
.tracker li.partial::before { background: #d4a72c; border-color: #d4a72c; color: #ffffff; }
.tracker .t { display: block; font-weight: 600; font-size: 13px; color: var(--ink); }
.tracker .c { display: block; color: var(--muted); }

/* sections */
section { margin-top: 40px; }
section > header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap;
  border-bottom: 1px solid var(--line);
  padding-bottom: 8px; margin-bottom: 12px; }
h2 { font-size: 22px; }
h2 .n { color: var(--muted); font-weight: 600; margin-right: 6px; }
section > header code { font-size: 12.5px; }
.lead { font-size: 16px; margin: 0 0 14px; max-width: 70em; }
h3 { font-size: 16px; margin: 26px 0 8px; }
p { margin: 8px 0; }
.badge { display: inline-block; font-size: 11.5px; font-weight: 600; letter-spacing: 0.02em; padding: 1px 9px;
  border-radius: 999px; border: 1px solid transparent; white-space: nowrap; }
.badge.evidence { background: var(--ok-bg); color: var(--ok); border-color: #aceebb; }
.badge.partial { background: var(--warn-bg); color: var(--warn); border-color: #eed888; }
.badge.none { background: var(--mute-bg); color: var(--muted); border-color: var(--line); }
.badge.info { background: #ddf4ff; color: var(--accent); border-color: #b6e3ff; }
p.ok { color: var(--ok); } p.warn { color: var(--warn); } p.bad { color: var(--bad); } p.muted { color: var(--muted); }
.missing { border: 1.5px dashed #b8c0c8; border-radius: 8px; padding: 12px 16px; color: var(--muted); margin: 10px 0;
  background: repeating-linear-gradient(135deg, #ffffff, #ffffff 8px, #fafbfc 8px, #fafbfc 16px); }
.missing strong { color: var(--ink); }

/* tables */
.table { margin: 12px 0 6px; overflow-x: auto; }
table { border-collapse: collapse; width: auto; max-width: 100%; font-size: 13.5px; }
caption { caption-side: top; text-align: left; font-weight: 600; font-size: 13.5px; padding: 0 0 6px; }
th { text-align: left; font-weight: 600; font-size: 12.5px; color: var(--muted); border-bottom: 2px solid var(--line);
  padding: 6px 10px; vertical-align: bottom; }
td { border-bottom: 1px solid #eaeef2; padding: 6px 10px; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
tbody tr:last-child td { border-bottom: 1px solid var(--line); }
td.nw { white-space: nowrap; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .pill { display: inline-block; padding: 0 7px; border-radius: 4px; font-weight: 600; font-size: 12.5px; }
.pill.ok { background: var(--ok-bg); color: var(--ok); }
.pill.warn { background: var(--warn-bg); color: var(--warn); }
.pill.bad { background: var(--bad-bg); color: var(--bad); }
.pill.muted { background: var(--mute-bg); color: var(--muted); font-weight: 500; }
.tnote { font-size: 12.5px; color: var(--muted); margin: 4px 0 14px; }
ul.bullets { margin: 6px 0 12px; padding-left: 20px; font-size: 14px; }
ul.bullets li { margin: 3px 0; }
.blist-title { font-weight: 600; font-size: 13.5px; margin-top: 14px; }

.row { display: flex; flex-wrap: wrap; gap: 8px 36px; align-items: flex-start; }
.row > div { flex: 0 1 auto; min-width: 260px; }

/* figures */
figure { margin: 14px 0; border: 1px solid var(--line); border-radius: 8px; padding: 14px 14px 10px; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; font-family: inherit; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 8px; }

/* appendix */
.appendix table { font-size: 12.5px; }
footer { margin-top: 48px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 12.5px; }

@media screen and (max-width: 820px) {
  main { padding: 20px 16px 40px; }
  .tracker { grid-template-columns: repeat(4, 1fr); row-gap: 14px; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  section { margin-top: 22px; }
  section.appendix { break-before: page; }
  h2, h3, caption, .lead { break-after: avoid; }
  figure, .kf, .missing, tr { break-inside: avoid; }
  .table { overflow: visible; }
  table { font-size: 7.5pt; width: 100%; }
  th { font-size: 7pt; padding: 3px 4px; }
  td { padding: 3px 4px; }
  th.num, td.num, td.nw, code.nb { white-space: normal; }
  .verdict, .lead { font-size: 10.5pt; }
  .kf .value { font-size: 18pt; }
  .tracker li { font-size: 8pt; } .tracker .t { font-size: 8.5pt; }
  figure { padding: 6px; }
  td .pill { font-size: inherit; padding: 0 3px; }
  .tnote, figcaption, .meta, ul.bullets { font-size: 8pt; }
  a { color: inherit; }
}
"""
