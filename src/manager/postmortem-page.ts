import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { raw } from 'hono/html';
import MarkdownIt from 'markdown-it';
import type { I18n } from '../i18n.ts';
import { STYLE } from '../status-page/style.ts';
import { h, type Html, renderInternalPage } from './page-shell.ts';

/** Where the page loads Mermaid from: tsuiki serves the npm package's browser bundle itself (no CDN). */
export const MERMAID_SCRIPT_PATH = '/assets/mermaid.min.js';

/**
 * The drafts' Markdown as HTML: CommonMark plus tables, raw HTML off (user text in a draft is
 * escaped Markdown already, and anything else shows as typed), links only to http(s) and
 * mailto. A ```mermaid fence becomes `<pre class="mermaid">`, which Mermaid draws on load.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });
markdown.validateLink = (url) => /^(https?:|mailto:)/i.test(url.trim());
const defaultFence = markdown.renderer.rules.fence!;
markdown.renderer.rules.fence = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  if (token.info.trim() === 'mermaid') return `<pre class="mermaid">${markdown.utils.escapeHtml(token.content)}</pre>\n`;
  return defaultFence(tokens, idx, options, env, self);
};
// `- [ ] …` / `- [x] …` action items read as checkboxes, not bracketed text.
markdown.core.ruler.after('inline', 'task-items', (state) => {
  for (const token of state.tokens) {
    const first = token.type === 'inline' ? token.children?.[0] : undefined;
    if (first?.type === 'text' && /^\[[ xX]\] /.test(first.content)) {
      const done = first.content[1] !== ' ';
      first.content = `${done ? '☑' : '☐'} ${first.content.slice(4)}`;
    }
  }
});

/** The Markdown as HTML (see {@link markdown}). */
export function renderMarkdown(source: string): string {
  return markdown.render(source);
}

const PAGE_STYLE = `${STYLE}
main{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;margin:1rem auto;padding:1rem 1.5rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d5dc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#eef1f5}
pre.mermaid{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;padding:.5rem;overflow-x:auto;white-space:pre}
nav.page{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.95rem;color:#4a525c}
.note{color:#4a525c;font-size:.9rem}
@media print{
  @page{margin:15mm}
  body{background:#fff;font-size:11pt}
  main{border:0;margin:0;padding:0;max-width:none}
  nav.page,.note{display:none}
  a{color:inherit;text-decoration:none}
  h2{break-after:avoid}table,pre.mermaid,li{break-inside:avoid}
  pre.mermaid{border:0}
}
`;

/** What the page needs besides the draft. */
export interface PostmortemPageContext {
  i18n: I18n;
  lang: string;
  zone: string;
  ref: string;
  /** Until when the link that opened it works; absent when opened with the administrator token. */
  expires?: Date | undefined;
  /** The same draft as Markdown, and the draft in the other languages (all with the same signature). */
  markdownHref: string;
  others: { lang: string; href: string }[];
}

/** One language's draft as a printable HTML page whose Mermaid chart the browser draws. */
export function renderPostmortemHtml(draft: string, ctx: PostmortemPageContext): string {
  const t = ctx.i18n.t(ctx.lang);
  const title = t('manager:postmortemPage.title', { ref: ctx.ref });
  const others = ctx.others.map((o) => h` <a href="${o.href}" hreflang="${o.lang}" lang="${o.lang}">${o.lang}</a>`);
  const nav = h`<nav class="page" aria-label="${title}"><a href="${ctx.markdownHref}" type="text/markdown">${t('manager:postmortemPage.markdown')}</a>${
    others.length ? h`<span>${t('manager:postmortemPage.languages')}:${others}</span>` : ''
  }</nav>`;
  const expires = ctx.expires
    ? h`<p class="note">${t('manager:postmortemPage.expires', { time: ctx.i18n.formatDateTime(ctx.expires, ctx.lang, ctx.zone, 'fullDateTime') })}</p>`
    : '';
  return page(ctx.lang, title, h`${nav}${raw(renderMarkdown(draft))}${expires}`, true);
}

/** A short page saying why there is no draft to show (403, 404). */
export function renderPostmortemMessage(lang: string, title: string, message: string): string {
  return page(lang, title, h`<h1>${title}</h1><p>${message}</p>`, false);
}

function page(lang: string, title: string, body: Html, withChart: boolean): string {
  const script = withChart ? h`<script src="${MERMAID_SCRIPT_PATH}?v=${mermaidVersion()}" defer></script>` : '';
  return renderInternalPage({ lang, title, style: PAGE_STYLE, body, head: h`${script}\n` });
}

let bundle: { version: string; path: string } | undefined;

/** The installed mermaid package's browser bundle: self-contained, it draws `.mermaid` elements on load. */
function mermaidBundle(): { version: string; path: string } {
  if (!bundle) {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('mermaid/package.json');
    const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
    bundle = { version, path: join(dirname(pkgPath), 'dist', 'mermaid.min.js') };
  }
  return bundle;
}

function mermaidVersion(): string {
  return mermaidBundle().version;
}

let script: Buffer | undefined;

/** The bytes of Mermaid's browser bundle, read once. */
export function mermaidScript(): Buffer {
  script ??= readFileSync(mermaidBundle().path);
  return script;
}
