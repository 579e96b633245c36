import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString;

// hono's `html` escapes every interpolated string (& < > " '); only Html values pass through as markup.
export const h = (strings: TemplateStringsArray, ...values: unknown[]): Html => html(strings, ...values) as Html;

/** The document around an internal incident page (timeline, postmortem): never indexed, sends no Referer. */
export function renderInternalPage(page: { lang: string; title: string; style: string; body: Html; head?: Html }): string {
  return h`<!doctype html>
<html lang="${page.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<style>${raw(page.style)}</style>
${page.head ?? ''}</head>
<body>
<main id="main">
${page.body}
</main>
</body>
</html>
`.toString();
}
