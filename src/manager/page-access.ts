import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { LinkCheck } from '../chat/timeline-link.ts';
import type { AppEnv } from '../http.ts';
import { acceptedLanguages } from '../status-page/routes.ts';

/** The language of an incident page: `?lang=`, else Accept-Language, else the team's (the first configured). */
export function pageLanguage(c: Context<AppEnv>, languages: readonly string[]): string {
  const asked = c.req.query('lang');
  if (asked && languages.includes(asked)) return asked;
  for (const tag of acceptedLanguages(c.req.header('accept-language'))) {
    const found = languages.find((l) => l.toLowerCase() === tag) ?? languages.find((l) => l.toLowerCase() === tag.split('-')[0]);
    if (found) return found;
  }
  return languages[0]!;
}

/** True when the request carries `Authorization: Bearer <ADMIN_TOKEN>` (compared in constant time). */
export function isAdminRequest(c: Context<AppEnv>, adminToken: string | undefined): boolean {
  const token = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
  if (!adminToken || !token) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(adminToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a request may open an internal incident page, and how: the administrator token, or a signed link until it expires. */
export type PageAccess = { ok: true; admin: boolean; expires: Date | undefined } | Exclude<LinkCheck, { ok: true }>;

/**
 * The administrator bearer opens any page; otherwise the request's signed link (`exp`, `sig`)
 * must be valid for incident `number`. No number, or no secret to check links with, is invalid.
 */
export function checkPageAccess(
  c: Context<AppEnv>,
  adminToken: string | undefined,
  links: { check(number: number, exp: string | undefined, sig: string | undefined): LinkCheck } | undefined,
  number: number | undefined,
): PageAccess {
  if (isAdminRequest(c, adminToken)) return { ok: true, admin: true, expires: undefined };
  const check = number !== undefined && links ? links.check(number, c.req.query('exp'), c.req.query('sig')) : ({ ok: false, reason: 'invalid' } as const);
  return check.ok ? { ok: true, admin: false, expires: check.expires } : check;
}

/** The query of a link to a sibling page (another format or language): it opens with the same signature as this request. */
export function siblingQuery(c: Context<AppEnv>, admin: boolean, lang: string): URLSearchParams {
  return new URLSearchParams({ lang, ...(admin ? {} : { exp: c.req.query('exp')!, sig: c.req.query('sig')! }) });
}
