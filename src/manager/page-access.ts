import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
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
