import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

export const SUBSCRIBER_CSV_HEADER = ['type', 'address', 'lang', 'time_zone', 'components', 'secret'] as const;

export interface ImportResult {
  added: number;
  updated: number;
  /** One per rejected line; the other lines are still imported. */
  errors: { line: number; message: string }[];
  /** Webhook secrets generated for rows that had none: shown once, to configure the receivers. */
  generatedSecrets: { address: string; secret: string }[];
}

/** A new Standard Webhooks secret: `whsec_` + 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Splits CSV text into rows of fields (RFC 4180 quoting; `""` is a quote inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

const isZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
const EMAIL = /^[^\s@<>()"',;:\\]+@[^\s@<>()"',;:\\]+\.[^\s@<>()"',;:\\]+$/;

/**
 * `tsuiki subscribers import`: adds or updates (by type and address) confirmed
 * subscribers from CSV with the header `type,address,lang,time_zone,components,secret`.
 * Empty `lang`/`time_zone` take the first language and its zone; an empty `secret` keeps
 * a webhook's existing one or generates one.
 */
export async function importSubscribers(
  db: Db,
  csv: string,
  options: { locales: readonly string[]; timeZones: Record<string, string>; now: Date },
): Promise<ImportResult> {
  const result: ImportResult = { added: 0, updated: 0, errors: [], generatedSecrets: [] };
  const rows = parseCsv(csv);
  const header = rows[0]?.map((h) => h.trim().toLowerCase());
  if (!header || SUBSCRIBER_CSV_HEADER.some((h, i) => header[i] !== h)) {
    result.errors.push({ line: 1, message: `header must be ${SUBSCRIBER_CSV_HEADER.join(',')}` });
    return result;
  }
  for (const [index, fields] of rows.slice(1).entries()) {
    const line = index + 2;
    if (fields.every((f) => f.trim() === '')) continue;
    const [type = '', rawAddress = '', rawLang = '', rawZone = '', rawComponents = '', rawSecret = ''] = fields.map((f) => f.trim());
    const lang = rawLang || options.locales[0]!;
    const timeZone = rawZone || options.timeZones[lang] || 'UTC';
    const components = rawComponents ? rawComponents.split(';').map((c) => c.trim()).filter(Boolean) : [];
    const address = type === 'email' ? rawAddress.toLowerCase() : rawAddress;
    const problem =
      type !== 'email' && type !== 'webhook'
        ? `type must be email or webhook, not "${type}"`
        : type === 'email' && !EMAIL.test(address)
          ? `"${rawAddress}" is not an email address`
          : type === 'webhook' && !(URL.canParse(address) && /^https?:$/.test(new URL(address).protocol))
            ? `"${rawAddress}" is not an http(s) URL`
            : !options.locales.includes(lang)
              ? `lang must be one of ${options.locales.join(', ')}`
              : !isZone(timeZone)
                ? `"${timeZone}" is not an IANA time zone`
                : rawSecret && !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(rawSecret)
                  ? 'secret must look like whsec_<base64>'
                  : undefined;
    if (problem) {
      result.errors.push({ line, message: problem });
      continue;
    }
    // A webhook keeps its secret unless the CSV gives one; only a webhook without any gets a new one.
    const generated = type === 'webhook' && !rawSecret ? newWebhookSecret() : undefined;
    const [row] = await db
      .insert(t.subscriber)
      .values({
        id: randomUUID(),
        kind: type,
        address,
        lang,
        timeZone,
        components,
        secret: type === 'webhook' ? rawSecret || generated! : null,
        confirmed: true,
        unsubscribeToken: randomBytes(24).toString('base64url'),
        createdAt: options.now,
        updatedAt: options.now,
      })
      .onConflictDoUpdate({
        target: [t.subscriber.kind, t.subscriber.address],
        set: {
          lang,
          timeZone,
          components,
          confirmed: true,
          updatedAt: options.now,
          ...(type === 'webhook'
            ? { secret: rawSecret ? rawSecret : sql`coalesce(${t.subscriber.secret}, ${generated ?? null})` }
            : {}),
        },
      })
      .returning({ secret: t.subscriber.secret, inserted: sql<boolean>`(xmax = 0)` });
    if (row?.inserted) result.added += 1;
    else result.updated += 1;
    if (generated && row?.secret === generated) result.generatedSecrets.push({ address, secret: generated });
  }
  return result;
}
