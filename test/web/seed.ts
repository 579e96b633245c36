import { addNote } from '../../src/app/add-note.ts';
import { assignRole } from '../../src/app/assign-role.ts';
import { changeStatus } from '../../src/app/change-status.ts';
import { syncComponents } from '../../src/app/components.ts';
import type { AppContext } from '../../src/app/context.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { generatePostmortem } from '../../src/app/generate-postmortem.ts';
import { publishUpdate } from '../../src/app/review-public-update.ts';
import { setKeyMoment } from '../../src/app/set-key-moment.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import type { Actor } from '../../src/core/model.ts';
import type { Severity } from '../../src/core/model.ts';
import { declare, metaOf, MINUTE, person } from '../app/helpers.ts';

/** What the web tests look at: a resolved incident per month for the metrics, an open one with a draft to review, a private one. */
export interface Seeded {
  aiko: Actor;
  ben: Actor;
  open: { incidentId: string; number: number; draftId: string };
  resolved: { incidentId: string; number: number }[];
  private: { incidentId: string; number: number };
}

async function resolvedIncident(ctx: AppContext, clock: ManualClock, actor: Actor, at: string, severity: Severity, minutes: { detect: number; declare: number; first: number; mitigate: number; resolve: number }, title: string) {
  const start = new Date(at);
  clock.set(new Date(start.getTime() + minutes.declare * MINUTE));
  const incident = await declare(ctx, actor, { title, severity, components: ['api'], impact: 'major_outage', started: start });
  await setKeyMoment(ctx, metaOf(actor), incident.incidentId, { moment: 'detected', at: new Date(start.getTime() + minutes.detect * MINUTE) });
  await addNote(ctx, metaOf(actor), incident.incidentId, { text: 'Primary database stopped answering; failover started.' });
  clock.set(new Date(start.getTime() + minutes.first * MINUTE));
  const { outcome } = await draftPublicUpdate(ctx, metaOf(actor), incident.incidentId, { text: 'The REST API is returning errors. We are failing over the database.' });
  await publishUpdate(ctx, metaOf(actor), outcome.updateId);
  clock.set(new Date(start.getTime() + minutes.resolve * MINUTE));
  await setKeyMoment(ctx, metaOf(actor), incident.incidentId, { moment: 'mitigated', at: new Date(start.getTime() + minutes.mitigate * MINUTE) });
  await changeStatus(ctx, metaOf(actor), incident.incidentId, { status: 'resolved' });
  await generatePostmortem(ctx, metaOf(actor), incident.incidentId);
  return incident;
}

/** Seeds the web tests' incidents through the real use cases; leaves the clock at 2026-03-10 09:00 UTC. */
export async function seedWebData(ctx: AppContext, clock: ManualClock): Promise<Seeded> {
  await syncComponents(
    ctx.db,
    {
      components: [
        { id: 'api', name: 'REST API', names: {} },
        { id: 'console', name: 'Console', names: { ja: 'コンソール (管理画面)' } },
      ],
      glossary: [],
    },
    new Date('2026-01-01T00:00:00Z'),
  );
  const aiko = person('Aiko');
  const ben = person('Ben');
  const resolved = [
    await resolvedIncident(ctx, clock, aiko, '2026-01-12T03:00:00Z', 'SEV2', { detect: 2, declare: 6, first: 25, mitigate: 70, resolve: 95 }, 'API errors after a database failover'),
    await resolvedIncident(ctx, clock, aiko, '2026-01-20T11:00:00Z', 'SEV3', { detect: 5, declare: 12, first: 18, mitigate: 40, resolve: 60 }, 'Slow console pages'),
    await resolvedIncident(ctx, clock, aiko, '2026-02-26T15:00:00Z', 'SEV1', { detect: 1, declare: 4, first: 26, mitigate: 80, resolve: 125 }, 'Programmable SMS delivery outage'),
  ];
  clock.set(new Date('2026-03-10T08:30:00Z'));
  const privateIncident = await declare(ctx, aiko, { title: 'Credential leak suspected', visibility: 'private', severity: 'SEV1' });
  clock.set(new Date('2026-03-10T08:40:00Z'));
  const open = await declare(ctx, aiko, { title: 'Elevated API error rates', severity: 'SEV2', components: ['api', 'console'], impact: 'partial_outage', started: new Date('2026-03-10T08:35:00Z') });
  await assignRole(ctx, metaOf(aiko), open.incidentId, { role: 'commander', user: { id: aiko.id, display: aiko.name } });
  await addNote(ctx, metaOf(aiko), open.incidentId, { text: 'Error rate on the REST API at 12%; Console slow to load.' });
  clock.set(new Date('2026-03-10T08:55:00Z'));
  const { outcome } = await draftPublicUpdate(ctx, metaOf(aiko), open.incidentId, { text: 'Some REST API requests are failing and the Console is slow. We are investigating.' });
  clock.set(new Date('2026-03-10T09:00:00Z'));
  return { aiko, ben, open: { ...open, draftId: outcome.updateId }, resolved, private: privateIncident };
}
