import { STYLE } from '../status-page/style.ts';

/**
 * The web app's stylesheet: the status page's (same look), widened for tables and the
 * side-by-side review, plus what only the app has. Text keeps 4.5:1 contrast; marks carry a
 * word, not only a colour. Below 48rem the review columns stack for phones.
 */
export const WEB_STYLE = `${STYLE}
header.site,main,footer{max-width:72rem}
main{overflow-wrap:break-word}
.who{font-size:.9rem;color:#454c55;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.who form{display:inline}
button.link{background:none;color:#0b57d0;padding:0;text-decoration:underline;border:0}
button.secondary{background:#fff;color:#0b57d0;border:1px solid #0b57d0}
button.danger{background:#b3261e}
.card{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #d0d5dc;border-radius:.5rem}
table{border-collapse:collapse;width:100%}
th,td{padding:.4rem .6rem;text-align:left;vertical-align:top;border-top:1px solid #e3e6ea}
thead th{background:#eef1f5;border-top:0;font-size:.9rem;white-space:nowrap}
th[scope=row]{white-space:nowrap}
.card>h2:first-child,.card>h2:first-of-type{margin-top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}
form.filters label,.field label{display:block;font-size:.9rem;color:#454c55}
input[type=text],input[type=search],input[type=password],textarea,select{border:1px solid #8a929c;border-radius:.25rem;padding:.35rem .5rem;background:#fff;color:#1b1f24}
textarea{width:100%;min-height:7rem;font:inherit}
.tag{display:inline-block;font-size:.8rem;font-weight:600;padding:0 .45rem;border-radius:1rem;border:1px solid currentColor;white-space:nowrap}
.tag.sev-SEV1{color:#b3261e}.tag.sev-SEV2{color:#a3400c}.tag.sev-SEV3{color:#7a5200}.tag.sev-SEV4{color:#454c55}
.tag.private{color:#6b2fa3}.tag.origin-machine{color:#7a5200}.tag.origin-human{color:#0b57d0}.tag.origin-approved{color:#146c2e}
.tag.original{color:#1b1f24;background:#eef1f5}
.review{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:.75rem;margin:.5rem 0}
.lang-col{border:1px solid #d0d5dc;border-radius:.5rem;padding:.5rem .75rem;background:#fbfcfd}
.lang-col h4{margin:0 0 .25rem;display:flex;flex-wrap:wrap;gap:.35rem;align-items:center;font-size:1rem}
.lang-col .body{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}
.lang-col.missing{border-style:dashed}
mark.term{background:#fff3c4;color:inherit;border-bottom:2px solid #7a5200;padding:0 .1em}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.actions form{display:inline}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{border-top:1px solid #e3e6ea;padding:.35rem 0;overflow-wrap:anywhere}
ol.timeline li:first-child{border-top:0}
.notice{background:#e8f0fe;border:1px solid #0b57d0;border-radius:.5rem;padding:.5rem 1rem;margin:.75rem 0}
.error{background:#fdecea;border:1px solid #b3261e;border-radius:.5rem;padding:.5rem 1rem;margin:.75rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dl.facts dt{color:#454c55}dl.facts dd{margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
figure.chart{margin:0}
figure.chart svg{width:100%;height:auto;background:#fff;border:1px solid #d0d5dc;border-radius:.5rem}
figure.chart figcaption{font-weight:600;margin:.25rem 0}
.chart-legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.25rem 0;font-size:.9rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle;border:1px solid #1b1f24}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
pre.mermaid{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.5rem;overflow-x:auto;white-space:pre}
.postmortem{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.5rem 1.25rem}
.postmortem table{width:auto}.postmortem th,.postmortem td{border:1px solid #d0d5dc}
@media (max-width:40rem){
  table.incidents,table.incidents tbody,table.incidents td{display:block}
  table.incidents thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.incidents tr{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .75rem;padding:.5rem .75rem;border-top:1px solid #e3e6ea}
  table.incidents tbody tr:first-child{border-top:0}
  table.incidents td{border:0;padding:0}
  table.incidents td.title{flex-basis:100%;order:-1;font-weight:600}
}
@media (max-width:48rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.35rem}}
@media print{
  @page{margin:15mm}
  body{background:#fff;font-size:11pt}
  header.site,footer,.no-print,nav{display:none}
  main{max-width:none;padding:0}
  .postmortem{border:0;padding:0}
  a{color:inherit;text-decoration:none}
  h2{break-after:avoid}table,pre.mermaid,li{break-inside:avoid}
}
`;
