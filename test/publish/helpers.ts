import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { AppContext } from '../../src/app/context.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { editTranslation, publishUpdate } from '../../src/app/review-public-update.ts';
import type { Db } from '../../src/db/client.ts';
import * as t from '../../src/db/schema.ts';
import { declare, metaOf, person } from '../app/helpers.ts';

export const author = person('Aiko');

/** Declares a public incident and publishes one update with an English source and a Japanese translation. */
export async function publishSample(
  ctx: AppContext,
  input: { title?: string; components?: string[]; en?: string; ja?: string; incidentId?: string } = {},
): Promise<{ incidentId: string; number: number; updateId: string }> {
  const declared = input.incidentId
    ? { incidentId: input.incidentId, number: 0 }
    : await declare(ctx, author, { title: input.title ?? 'API errors in EU', components: input.components ?? ['api'], impact: 'major_outage' });
  const drafted = await draftPublicUpdate(ctx, metaOf(author), declared.incidentId, { text: input.en ?? 'We are investigating elevated error rates.' });
  const updateId = drafted.outcome.updateId;
  await editTranslation(ctx, metaOf(author), updateId, { lang: 'ja', body: input.ja ?? 'エラー率の上昇を調査しています。' });
  await publishUpdate(ctx, metaOf(author), updateId);
  return { incidentId: declared.incidentId, number: drafted.outcome.number, updateId };
}

export interface SubscriberInput {
  kind: 'email' | 'webhook' | 'slack';
  address: string;
  lang?: string;
  timeZone?: string;
  components?: string[];
  secret?: string;
  confirmed?: boolean;
}

/** Writes a subscriber; returns its id and unsubscribe token. */
export async function addSubscriber(db: Db, input: SubscriberInput, now = new Date('2026-02-26T00:00:00Z')): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  const token = randomBytes(12).toString('base64url');
  await db.insert(t.subscriber).values({
    id,
    kind: input.kind,
    address: input.address,
    lang: input.lang ?? 'en',
    timeZone: input.timeZone ?? 'UTC',
    components: input.components ?? [],
    secret: input.secret ?? null,
    confirmed: input.confirmed ?? true,
    unsubscribeToken: token,
    createdAt: now,
    updatedAt: now,
  });
  return { id, token };
}

export async function deliveriesOf(db: Db, updateId: string) {
  return db.select().from(t.delivery).where(eq(t.delivery.updateId, updateId));
}

export const newWebhookSecretForTest = () => `whsec_${randomBytes(24).toString('base64')}`;
