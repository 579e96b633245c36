/**
 * The page's only stylesheet, inlined (one request, no JavaScript). Colours keep text at
 * 4.5:1 or better; every status also has a symbol and a word, and history bars differ in
 * height, so nothing depends on colour alone. Japanese text gets CJK fonts first.
 */
export const STYLE = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","Hiragino Sans","Yu Gothic UI",Meiryo,sans-serif;color:#1b1f24;background:#f6f7f9}
:lang(ja) body,body:lang(ja){font-family:"Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic UI",Meiryo,system-ui,sans-serif;line-height:1.75}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
header.site,main,footer{max-width:52rem;margin:0 auto;padding:0 1rem}
header.site{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding-top:1rem;padding-bottom:.5rem}
header.site .brand{margin:0;font-weight:700;font-size:1.2rem;flex:1 1 auto}
header.site .brand a{color:inherit;text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav a[aria-current]{font-weight:700;color:#1b1f24;text-decoration:none}
h1{font-size:1.5rem;line-height:1.3;margin:.5rem 0}
h2{font-size:1.25rem;margin:1.75rem 0 .5rem}
h3{font-size:1.05rem;margin:.25rem 0}
.banner{border-radius:.5rem;padding:1rem 1.25rem;color:#fff;margin:1rem 0}
.banner h1{margin:0;font-size:1.4rem}.banner p{margin:.25rem 0 0}
.banner.s-operational{background:#146c2e}.banner.s-degraded_performance{background:#7a5200}
.banner.s-partial_outage{background:#a3400c}.banner.s-major_outage{background:#b3261e}.banner.s-under_maintenance{background:#1d4f91}
.badge{display:inline-block;white-space:nowrap;font-size:.9rem;font-weight:600;padding:0 .5rem;border-radius:1rem;border:1px solid currentColor}
.badge.s-operational{color:#146c2e}.badge.s-degraded_performance{color:#7a5200}
.badge.s-partial_outage{color:#a3400c}.badge.s-major_outage{color:#b3261e}.badge.s-under_maintenance{color:#1d4f91}
.components{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #d0d5dc;border-radius:.5rem}
.components li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;padding:.6rem 1rem;border-top:1px solid #e3e6ea}
.components li:first-child{border-top:0}
.components .components{border:0;border-radius:0;flex-basis:100%;margin:.25rem 0 0 1rem}
.incident{background:#fff;border:1px solid #d0d5dc;border-left-width:.4rem;border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}
.incident.impact-critical{border-left-color:#b3261e}.incident.impact-major{border-left-color:#a3400c}
.incident.impact-minor{border-left-color:#7a5200}.incident.impact-none{border-left-color:#146c2e}.incident.maintenance{border-left-color:#1d4f91}
.meta{margin:.25rem 0;color:#454c55;font-size:.95rem}
.updates{list-style:none;padding:0;margin:.75rem 0 0}
.update{border-top:1px solid #e3e6ea;padding:.5rem 0}
.update-head{margin:0;font-size:.95rem;color:#454c55}.update-status{color:#1b1f24}
.update-body{margin:.25rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}.update-original{color:#454c55;font-size:.9em}
.history{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}
.history h2{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;font-size:1.05rem;margin:.25rem 0}
.uptime{font-weight:400;color:#454c55}
.bars{display:flex;align-items:flex-end;gap:1px;height:2.5rem;list-style:none;margin:.5rem 0 0;padding:0}
.bar{flex:1 1 0;min-width:1px;display:inline-block;border-radius:1px}
.legend .bar{width:.6rem;height:1rem;vertical-align:middle}
.bar.s-operational{background:#2e8540;height:100%}.bar.s-degraded_performance{background:#c58a00;height:75%}
.bar.s-partial_outage{background:#d9622b;height:50%}.bar.s-major_outage{background:#b3261e;height:30%}
.legend .bar.s-degraded_performance{height:.75rem}.legend .bar.s-partial_outage{height:.5rem}.legend .bar.s-major_outage{height:.3rem}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0}
.bar-axis{display:flex;justify-content:space-between;margin:0;font-size:.8rem;color:#454c55}
.impact-days{font-size:.9rem;margin:.5rem 0 0;padding-left:1.2rem}
.subscribe form{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.75rem 1rem}
input,select,button{font:inherit;max-width:100%}
input[type=email],#sub-zone{width:22rem}
fieldset{border:1px solid #d0d5dc;border-radius:.25rem;margin:0 0 .75rem}
.check{display:inline-block;margin-right:1rem}
button{background:#0b57d0;color:#fff;border:0;border-radius:.25rem;padding:.5rem 1rem;cursor:pointer}
footer{margin-top:2rem;padding-bottom:2rem;color:#454c55;font-size:.9rem}
@media (max-width:30rem){h1{font-size:1.3rem}.banner h1{font-size:1.2rem}}
`;
