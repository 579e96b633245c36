import { deflateSync } from 'node:zlib';
import JSZip from 'jszip';
import { VERBS, type Verb } from '../../core/command.ts';
import type { I18n } from '../../i18n.ts';

/** Teams shows at most 10 commands per scope; these are the ones offered, the rest are in `help`. */
export const MANIFEST_VERBS: readonly Verb[] = ['declare', 'update', 'status', 'publish', 'summary', 'timeline', 'list', 'close', 'assign', 'help'].filter(
  (v): v is Verb => (VERBS as readonly string[]).includes(v),
);

export interface TeamsPackageInput {
  /** MicrosoftAppId: the bot and the app share it. */
  appId: string;
  /** Where tsuiki is reachable over https (PUBLIC_URL); also the developer's site. */
  publicUrl: string;
  version: string;
  i18n: I18n;
  accentColor?: string;
}

const ACCENT = '#C2410C';

/** The Teams app manifest (schema v1.19): one bot in team, group chat and personal scope, with tsuiki's commands. */
export function buildManifest(input: TeamsPackageInput): Record<string, unknown> {
  const t = input.i18n.t('en');
  const site = input.publicUrl.replace(/\/+$/, '');
  const commands = MANIFEST_VERBS.map((verb) => ({
    title: verb,
    // `usage.x` reads "/incident x … — what it does": the part after the dash describes it.
    description: (t(`usage.${verb}`).split(' — ')[1] ?? t(`usage.${verb}`)).slice(0, 128),
  }));
  return {
    $schema: 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.19/MicrosoftTeams.schema.json',
    manifestVersion: '1.19',
    version: input.version,
    id: input.appId,
    developer: { name: 'tsuiki', websiteUrl: site, privacyUrl: `${site}/status`, termsOfUseUrl: `${site}/status` },
    name: { short: 'tsuiki', full: 'tsuiki incident response' },
    description: {
      short: 'Declare incidents, record updates and publish them in every language.',
      full: 'tsuiki is an incident-response bot: declare an incident, record timestamped updates, review machine-translated public updates and publish them to the status page and subscribers, and get the postmortem draft when the incident closes. Send it the same commands as in Slack: @tsuiki declare …, update, status, publish, close.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: input.accentColor ?? ACCENT,
    bots: [
      {
        botId: input.appId,
        scopes: ['team', 'groupChat', 'personal'],
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [{ scopes: ['team', 'groupChat', 'personal'], commands }],
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [new URL(site).host],
  };
}

/** A PNG of `size`×`size` RGBA pixels from a per-pixel function (no image library needed for two icons). */
export function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) raw.set(pixel(x, y), y * (size * 4 + 1) + 1 + x * 4);
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The mark: a ring with a plus (an addendum, 追記). */
function mark(size: number, x: number, y: number): boolean {
  const c = (size - 1) / 2;
  const r = Math.hypot(x - c, y - c);
  const ring = r <= size * 0.42 && r >= size * 0.32;
  const bar = size * 0.06;
  const plus = (Math.abs(x - c) <= bar && Math.abs(y - c) <= size * 0.2) || (Math.abs(y - c) <= bar && Math.abs(x - c) <= size * 0.2);
  return ring || plus;
}

/** The color icon (192×192, accent background) and the outline icon (32×32, white on transparent). */
export function icons(accent = ACCENT): { color: Buffer; outline: Buffer } {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(accent.slice(i, i + 2), 16)) as [number, number, number];
  return {
    color: png(192, (x, y) => (mark(192, x, y) ? [255, 255, 255, 255] : [r, g, b, 255])),
    outline: png(32, (x, y) => (mark(32, x, y) ? [255, 255, 255, 255] : [0, 0, 0, 0])),
  };
}

/** The zip Teams accepts: manifest.json and both icons at its root. */
export async function buildTeamsPackage(input: TeamsPackageInput): Promise<{ zip: Buffer; manifest: Record<string, unknown> }> {
  const manifest = buildManifest(input);
  const { color, outline } = icons(input.accentColor);
  const zip = new JSZip();
  zip.file('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  zip.file('color.png', color);
  zip.file('outline.png', outline);
  return { zip: await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }), manifest };
}
