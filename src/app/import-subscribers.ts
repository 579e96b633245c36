import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import * as t from '../db/schema.ts';

export const SUBSCRIBER_CSV_HEADER = ['type', 'address', 'lang', 'time_zone', 'components', 'secret'] as const;

export interface ImportResult {
  added: number;
  updated: number;
  /** One per rejected line; the other lines are still imported. */
  errors: ImportError[];
  /** Webhook secrets generated for rows that had none: shown once, to configure the receivers. */
  generatedSecrets: { address: string; secret: string }[];
}

/** Why a line was rejected: `code` and `params` for a reader's language, `message` in English (the CLI). */
export interface ImportError {
  line: number;
  code: 'header' | 'type' | 'email' | 'url' | 'lang' | 'time_zone' | 'secret';
  params: Record<string, string>;
  message: string;
}

const IMPORT_MESSAGES: Record<ImportError['code'], (p: Record<string, string>) => string> = {
  header: (p) => `header must be ${p.header}`,
  type: (p) => `type must be email or webhook, not "${p.value}"`,
  email: (p) => `"${p.value}" is not an email address`,
  url: (p) => `"${p.value}" is not an http(s) URL`,
  lang: (p) => `lang must be one of ${p.allowed}`,
  time_zone: (p) => `"${p.value}" is not an IANA time zone`,
  secret: () => 'secret must look like whsec_<base64>',
};

const importError = (line: number, code: ImportError['code'], params: Record<string, string> = {}): ImportError => ({ line, code, params, message: IMPORT_MESSAGES[code](params) });

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

/** Rows per INSERT … ON CONFLICT statement (each row carries 11 parameters; PostgreSQL allows 65,535). */
const IMPORT_BATCH = 1_000;

/** A line that passed every check, merged with earlier lines for the same subscriber. */
interface ValidLine {
  kind: 'email' | 'webhook';
  address: string;
  lang: string;
  timeZone: string;
  components: string[];
  /** The last secret the file gives this webhook, if any. */
  secret: string | undefined;
  /** How many lines named this subscriber. */
  lines: number;
}

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
    result.errors.push(importError(1, 'header', { header: SUBSCRIBER_CSV_HEADER.join(',') }));
    return result;
  }
  const valid = new Map<string, ValidLine>();
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
        ? importError(line, 'type', { value: type })
        : type === 'email' && !EMAIL.test(address)
          ? importError(line, 'email', { value: rawAddress })
          : type === 'webhook' && !(URL.canParse(address) && /^https?:$/.test(new URL(address).protocol))
            ? importError(line, 'url', { value: rawAddress })
            : !options.locales.includes(lang)
              ? importError(line, 'lang', { value: lang, allowed: options.locales.join(', ') })
              : !isZone(timeZone)
                ? importError(line, 'time_zone', { value: timeZone })
                : rawSecret && !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(rawSecret)
                  ? importError(line, 'secret')
                  : undefined;
    if (problem) {
      result.errors.push(problem);
      continue;
    }
    // A later line for the same subscriber wins, as if the lines were applied one by one; a
    // webhook keeps its secret unless some line gives one.
    const key = `${type}\u0000${address}`;
    const earlier = valid.get(key);
    valid.set(key, {
      kind: type as ValidLine['kind'],
      address,
      lang,
      timeZone,
      components,
      secret: type === 'webhook' ? rawSecret || earlier?.secret || undefined : undefined,
      lines: (earlier?.lines ?? 0) + 1,
    });
  }

  // In batches, in one transaction: a 10,000-line file is a few dozen statements, not 10,000.
  const records = [...valid.values()];
  await db.transaction(async (tx) => {
    for (let i = 0; i < records.length; i += IMPORT_BATCH) {
      const batch = records.slice(i, i + IMPORT_BATCH);
      // Only a webhook without any secret gets a generated one; one that has a secret keeps it.
      const generated = new Map<string, string>();
      const values = batch.map((r) => {
        const secret = r.kind === 'webhook' ? (r.secret ?? newWebhookSecret()) : null;
        if (r.kind === 'webhook' && !r.secret) generated.set(r.address, secret!);
        return {
          id: randomUUID(),
          kind: r.kind,
          address: r.address,
          lang: r.lang,
          timeZone: r.timeZone,
          components: r.components,
          secret,
          confirmed: true,
          unsubscribeToken: randomBytes(24).toString('base64url'),
          createdAt: options.now,
          updatedAt: options.now,
        };
      });
      const rows = await tx
        .insert(t.subscriber)
        .values(values)
        .onConflictDoUpdate({
          target: [t.subscriber.kind, t.subscriber.address],
          set: {
            lang: sql`excluded.lang`,
            timeZone: sql`excluded.time_zone`,
            components: sql`excluded.components`,
            confirmed: true,
            updatedAt: options.now,
            // A secret given in the file replaces the old one; a generated one only fills a gap.
            secret: sql`case when ${t.subscriber.kind} = 'webhook' and excluded.secret = any(array[${sql.join([...generated.values()].map((g) => sql`${g}`), sql`, `)}]::text[])
                             then coalesce(${t.subscriber.secret}, excluded.secret) else excluded.secret end`,
          },
        })
        .returning({ kind: t.subscriber.kind, address: t.subscriber.address, secret: t.subscriber.secret, inserted: sql<boolean>`(xmax = 0)` });
      const linesOf = new Map(batch.map((r) => [`${r.kind}\u0000${r.address}`, r.lines]));
      for (const row of rows) {
        const lines = linesOf.get(`${row.kind}\u0000${row.address}`) ?? 1;
        // Sequentially, the first line of a new subscriber adds it and each later one updates it.
        result.added += row.inserted ? 1 : 0;
        result.updated += row.inserted ? lines - 1 : lines;
        const secret = row.kind === 'webhook' ? generated.get(row.address) : undefined;
        if (secret && row.secret === secret) result.generatedSecrets.push({ address: row.address, secret });
      }
    }
  });
  return result;
}
