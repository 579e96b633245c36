import { afterAll, beforeAll, expect, it } from 'vitest';
import { addNote } from '../../src/app/add-note.ts';
import { draftPublicUpdate } from '../../src/app/draft-public-update.ts';
import { loadPublicUpdates } from '../../src/db/incident-repository.ts';
import { declare, metaOf, person } from '../app/helpers.ts';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.ts';
import { ADMIN_TOKEN, Browserless, signInLink, startWebApp } from './helpers.ts';

let database: TestDatabase;
let app: Awaited<ReturnType<typeof startWebApp>>;
const aiko = person('Aiko');
const ben = person('Ben');
let privateIncident: { incidentId: string; number: number };
let publicIncident: { incidentId: string; number: number };
let aikoBrowser: Browserless;
let benBrowser: Browserless;

async function signedIn(actor: typeof aiko): Promise<Browserless> {
  const browser = new Browserless(app.base);
  await browser.signInWith(await signInLink(app.ctx, app.base, actor));
  return browser;
}

beforeAll(async () => {
  database = await createTestDatabase();
  app = await startWebApp(database);
  privateIncident = await declare(app.ctx, aiko, { title: 'Credential leak suspected', visibility: 'private', severity: 'SEV1' });
  publicIncident = await declare(app.ctx, aiko, { title: 'Database failover in Tokyo', severity: 'SEV2', components: ['api'], impact: 'partial_outage' });
  await addNote(app.ctx, metaOf(aiko), publicIncident.incidentId, { text: 'レプリカ遅延を確認しました' });
  aikoBrowser = await signedIn(aiko);
  benBrowser = await signedIn(ben);
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describeDb('web app incidents and rights', () => {
  it('shows a private incident to its responder', async () => {
    const res = await aikoBrowser.request(`/app/incidents/${privateIncident.number}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Credential leak suspected');
  });

  it('answers 404 for another user’s private incident, the same as for one that does not exist, leaking nothing', async () => {
    const res = await benBrowser.request(`/app/incidents/${privateIncident.number}`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).not.toContain('Credential leak');
    const missing = await benBrowser.request('/app/incidents/99999');
    expect(missing.status).toBe(404);
    expect(body.replace(/INC-\d+|\d+/g, 'N')).toBe((await missing.text()).replace(/INC-\d+|\d+/g, 'N'));
    const events = await benBrowser.request(`/app/incidents/${privateIncident.number}/events`);
    expect(events.status).toBe(404);
    expect(await (await benBrowser.request('/app/?q=Credential')).text()).not.toContain('Credential leak');
  });

  it('shows the administrator every incident', async () => {
    const admin = new Browserless(app.base);
    const page = await (await admin.request('/app/sign-in')).text();
    await admin.request('/app/sign-in/admin', { form: { admin_token: ADMIN_TOKEN, _pre: Browserless.hidden(page, '_pre') } });
    expect(await (await admin.request('/app/')).text()).toContain('Credential leak suspected');
    expect((await admin.request(`/app/incidents/${privateIncident.number}`)).status).toBe(200);
  });

  it.each([
    ['failover', true],
    ['tokyo failover', true],
    ['レプリカ遅延', true],
    ['遅延', true],
    ['nonexistentword', false],
  ])('search %s finds the incident by title or timeline: %s', async (q, found) => {
    const body = await (await benBrowser.request(`/app/?q=${encodeURIComponent(q)}`)).text();
    expect(body.includes('Database failover in Tokyo')).toBe(found);
  });

  it('filters by severity, status and component', async () => {
    const bySev = await (await aikoBrowser.request('/app/?severity=SEV1')).text();
    expect(bySev).toContain('Credential leak');
    expect(bySev).not.toContain('Database failover');
    const byComponent = await (await aikoBrowser.request('/app/?component=api')).text();
    expect(byComponent).toContain('Database failover');
    expect(byComponent).not.toContain('Credential leak');
    const past = await (await aikoBrowser.request('/app/?status=past')).text();
    expect(past).not.toContain('Database failover');
  });

  it('saves a translation typed in the web app as a person’s (human) translation', async () => {
    const { outcome } = await draftPublicUpdate(app.ctx, metaOf(aiko), publicIncident.incidentId, { text: 'We are failing over the database.' });
    const res = await aikoBrowser.request(`/app/incidents/${publicIncident.number}/updates/${outcome.updateId}/translation`, {
      form: { _csrf: await aikoBrowser.csrf(), lang: 'ja', body: 'データベースをフェイルオーバーしています。' },
    });
    expect(res.status).toBe(303);
    const [update] = (await loadPublicUpdates(database.db, publicIncident.incidentId)).filter((u) => u.id === outcome.updateId);
    expect(update!.translations.find((t) => t.lang === 'ja')).toMatchObject({ origin: 'human', body: 'データベースをフェイルオーバーしています。' });
  });

  it('refuses a form POST without the CSRF token and changes nothing', async () => {
    const { outcome } = await draftPublicUpdate(app.ctx, metaOf(aiko), publicIncident.incidentId, { text: 'Still failing over.' });
    const res = await aikoBrowser.request(`/app/incidents/${publicIncident.number}/updates/${outcome.updateId}/publish`, { form: {} });
    expect(res.status).toBe(403);
    const [update] = (await loadPublicUpdates(database.db, publicIncident.incidentId)).filter((u) => u.id === outcome.updateId);
    expect(update!.state).toBe('draft');
  });

  it('publishes through the same rules as chat: a non-responder is refused, a responder publishes', async () => {
    const { outcome } = await draftPublicUpdate(app.ctx, metaOf(aiko), publicIncident.incidentId, { text: 'Failover complete.' });
    const path = `/app/incidents/${publicIncident.number}/updates/${outcome.updateId}/publish`;
    const refused = await benBrowser.request(path, { form: { _csrf: await benBrowser.csrf() } });
    expect(refused.status).toBe(403);
    const ok = await aikoBrowser.request(path, { form: { _csrf: await aikoBrowser.csrf() } });
    expect(ok.status).toBe(303);
    const [update] = (await loadPublicUpdates(database.db, publicIncident.incidentId)).filter((u) => u.id === outcome.updateId);
    expect(update!.state).toBe('published');
  });

  it('marks the original language and each translation’s origin side by side', async () => {
    const body = await (await aikoBrowser.request(`/app/incidents/${publicIncident.number}`)).text();
    expect(body).toContain('Original');
    expect(body).toContain('Written by a person');
    expect(body).toContain('Approved');
    expect(body).toMatch(/data-lang="en"[\s\S]*data-lang="ja"/);
  });

  it('writes a new public update through the publish verb’s use case: a draft under PUBLISH_APPROVAL=preview', async () => {
    const res = await aikoBrowser.request(`/app/incidents/${publicIncident.number}/updates`, { form: { _csrf: await aikoBrowser.csrf(), text: 'Failover is finished; we are watching.' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('done=drafted');
    const updates = await loadPublicUpdates(database.db, publicIncident.incidentId);
    expect(updates.find((u) => u.body === 'Failover is finished; we are watching.')?.state).toBe('draft');
  });

  it('refuses a public update on a private incident, as chat does', async () => {
    const res = await aikoBrowser.request(`/app/incidents/${privateIncident.number}/updates`, { form: { _csrf: await aikoBrowser.csrf(), text: 'Should never be public.' } });
    expect(res.status).toBe(409);
    expect(await loadPublicUpdates(database.db, privateIncident.incidentId)).toEqual([]);
  });
});

describeDb('web app publishing under PUBLISH_APPROVAL=required and off', () => {
  it('refuses the author’s own approval under required, and lets a colleague publish', async () => {
    const required = await startWebApp(database, { settings: { publishApproval: 'required' } });
    try {
      const author = person('Author');
      const colleague = person('Colleague');
      const incident = await declare(required.ctx, author, { title: 'Queue backlog' });
      await addNote(required.ctx, metaOf(colleague), incident.incidentId, { text: 'Looking at the consumers.' });
      const { outcome } = await draftPublicUpdate(required.ctx, metaOf(author), incident.incidentId, { text: 'Messages are delayed.' });
      const path = `/app/incidents/${incident.number}/updates/${outcome.updateId}/publish`;
      const authorBrowser = new Browserless(required.base);
      await authorBrowser.signInWith(await signInLink(required.ctx, required.base, author));
      expect((await authorBrowser.request(path, { form: { _csrf: await authorBrowser.csrf() } })).status).toBe(403);
      const colleagueBrowser = new Browserless(required.base);
      await colleagueBrowser.signInWith(await signInLink(required.ctx, required.base, colleague));
      expect((await colleagueBrowser.request(path, { form: { _csrf: await colleagueBrowser.csrf() } })).status).toBe(303);
      const [update] = (await loadPublicUpdates(database.db, incident.incidentId)).filter((u) => u.id === outcome.updateId);
      expect(update!.state).toBe('published');
    } finally {
      await required.close();
    }
  });

  it('publishes a new update at once under off', async () => {
    const off = await startWebApp(database, { settings: { publishApproval: 'off' } });
    try {
      const author = person('Quick');
      const incident = await declare(off.ctx, author, { title: 'Login errors' });
      const browser = new Browserless(off.base);
      await browser.signInWith(await signInLink(off.ctx, off.base, author));
      const res = await browser.request(`/app/incidents/${incident.number}/updates`, { form: { _csrf: await browser.csrf(), text: 'Some logins fail.' } });
      expect(res.headers.get('location')).toContain('done=published');
      const [update] = await loadPublicUpdates(database.db, incident.incidentId);
      expect(update!.state).toBe('published');
      // Japanese is still missing: the page offers it, and what is typed goes to the waiting readers.
      const page = await (await browser.request(`/app/incidents/${incident.number}`)).text();
      expect(page).toContain(`id="body-${update!.id}-ja"`);
      expect(page).not.toContain(`id="body-${update!.id}-en"`);
      const typed = await browser.request(`/app/incidents/${incident.number}/updates/${update!.id}/translation`, { form: { _csrf: await browser.csrf(), lang: 'ja', body: '一部のログインが失敗しています。' } });
      expect(typed.status).toBe(303);
      const [after] = await loadPublicUpdates(database.db, incident.incidentId);
      expect(after!.translations.find((t) => t.lang === 'ja')).toMatchObject({ origin: 'human', body: '一部のログインが失敗しています。' });
    } finally {
      await off.close();
    }
  });
});
