import type { MentionRef } from '../../core/command.ts';

/** A Teams mention entity as the activity carries it. */
interface MentionEntity {
  type?: string;
  text?: string;
  mentioned?: { id?: string; name?: string; aadObjectId?: string };
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** HTML character references, named (the few Teams sends) and numeric. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[ref.toLowerCase()] ?? m;
  });
}

/**
 * Decodes a Teams message's HTML into what the person typed: `<at>Name</at>` → `@Name` (the
 * user's id kept aside from the activity's mention entities), line breaks kept, other tags
 * dropped, character references decoded. The bot's own mention is removed before this.
 */
export function decodeTeamsText(html: string, entities: readonly unknown[] = []): { text: string; mentions: MentionRef[] } {
  const mentions: MentionRef[] = [];
  for (const e of entities as MentionEntity[]) {
    const id = e?.mentioned?.aadObjectId ?? e?.mentioned?.id;
    const name = /<at>([\s\S]*?)<\/at>/i.exec(e?.text ?? '')?.[1] ?? e?.mentioned?.name;
    if (e?.type === 'mention' && id && name) mentions.push({ id, display: `@${decodeEntities(name).trim()}` });
  }
  const text = html
    .replace(/<at>([\s\S]*?)<\/at>/gi, (_m, name: string) => `@${name.trim()}`)
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div)>\s*/gi, '\n')
    .replace(/<[^>]*>/g, '');
  return { text: decodeEntities(text).replace(/\u00a0/g, ' ').trim(), mentions };
}
