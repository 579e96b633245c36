import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A vendor's Statuspage, locally: `GET /api/v2/incidents.json` in the public v2 shape
 * (page + incidents with incident_updates and components, as Atlassian serves it and as the
 * Incident/IncidentUpdate schemas of the Statuspage API describe them), changing as a test
 * scripts it, with a strong ETag and 304s, and injectable 500s and hangs.
 * Also the manage API's incidents (`/v1/pages/{page_id}/incidents`: POST, PATCH `/{id}`, GET
 * with `q`, `limit`, `page`), over the same incidents, for the Statuspage publishing target.
 */
export interface StatuspageIncident {
  id: string;
  name: string;
  status: string;
  impact: string;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  started_at: string;
  shortlink: string;
  page_id: string;
  incident_updates: StatuspageUpdate[];
  components: StatuspageComponent[];
}

export interface StatuspageUpdate {
  id: string;
  status: string;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: { code: string; name: string; old_status: string; new_status: string }[] | null;
  deliver_notifications: boolean;
  custom_tweet: string | null;
  tweet_id: string | null;
}

export interface StatuspageComponent {
  id: string;
  name: string;
  status: string;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
}

export interface FakeStatuspage {
  /** Base URL of the page (what a user pastes into `follow`). */
  baseUrl: string;
  incidentsUrl: string;
  /** Requests answered: 200s, 304s, failures. */
  counts: { ok: number; notModified: number; failed: number };
  /** The ETags seen in If-None-Match, in order. */
  conditional: string[];
  openIncident(input: { id: string; name: string; impact: string; at: string; body: string; components: { name: string; status: string }[] }): void;
  addUpdate(incidentId: string, input: { id: string; status: string; at: string; body: string; components?: { name: string; status: string }[] }): void;
  /** The next `n` requests answer with this status (500 by default) and an optional Retry-After. */
  failNext(n: number, status?: number, retryAfter?: string): void;
  /** The next request never gets an answer (a timeout on our side). */
  hangNext(): void;
  /** The manage API's base URL (STATUSPAGE_API_URL); its page is `pageId`, its key `options.apiKey`. */
  manageUrl: string;
  pageId: string;
  /** Manage API requests in order of arrival, failed ones included. */
  manageRequests: ManageRequest[];
  /** The next manage API request is carried out, then its connection is destroyed unanswered (a lost response). */
  loseNextAnswer(): void;
  close(): Promise<void>;
}

/** A manage API request as the fake received it. */
export interface ManageRequest {
  method: string;
  /** Without the query string. */
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
  /** `performance.now()` when the request arrived. */
  arrivedAt: number;
  /** The status answered; undefined when the answer was lost. */
  status?: number;
}

export interface FakeStatuspageOptions {
  /** The manage API's key (`Authorization: OAuth <key>`). */
  apiKey?: string;
  /** The fake's clock for manage API timestamps (`created_at`). */
  now?: () => Date;
}

const PAGE_ID = 'y2j98763l443';

export async function startFakeStatuspage(vendor = 'Twilio', options: FakeStatuspageOptions = {}): Promise<FakeStatuspage> {
  const incidents: StatuspageIncident[] = [];
  const components = new Map<string, StatuspageComponent>();
  let updatedAt = '2021-02-26T12:00:00.000Z';
  let failures: { n: number; status: number; retryAfter?: string | undefined } = { n: 0, status: 500 };
  let hang = false;
  const hanging: ServerResponse[] = [];
  const counts = { ok: 0, notModified: 0, failed: 0 };
  const conditional: string[] = [];
  const manageRequests: ManageRequest[] = [];
  let loseAnswer = false;

  const component = (name: string, status: string, at: string): StatuspageComponent => {
    const existing = components.get(name);
    const c: StatuspageComponent = existing
      ? { ...existing, status, updated_at: at }
      : {
          id: createHash('sha1').update(name).digest('hex').slice(0, 12),
          name,
          status,
          created_at: '2015-01-01T00:00:00.000Z',
          updated_at: at,
          position: components.size + 1,
          description: null,
          showcase: true,
          start_date: null,
          group_id: null,
          page_id: PAGE_ID,
          group: false,
          only_show_if_degraded: false,
        };
    components.set(name, c);
    return c;
  };

  const body = () =>
    JSON.stringify({
      page: { id: PAGE_ID, name: vendor, url: 'https://status.example.com', time_zone: 'Etc/UTC', updated_at: updatedAt },
      // Newest first, as Statuspage lists them.
      incidents: [...incidents].reverse().map((i) => ({ ...i, incident_updates: [...i.incident_updates].reverse() })),
    });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/v1/')) return void manage(req, res);
    if (req.url?.split('?')[0] !== '/api/v2/incidents.json') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    if (hang) {
      hang = false;
      hanging.push(res);
      return;
    }
    if (failures.n > 0) {
      failures.n--;
      counts.failed++;
      res.writeHead(failures.status, { 'content-type': 'text/html', ...(failures.retryAfter ? { 'retry-after': failures.retryAfter } : {}) }).end('<h1>Internal Server Error</h1>');
      return;
    }
    const json = body();
    const etag = `W/"${createHash('sha256').update(json).digest('hex').slice(0, 32)}"`;
    const inm = req.headers['if-none-match'];
    if (inm) conditional.push(inm);
    if (inm === etag) {
      counts.notModified++;
      res.writeHead(304, { etag }).end();
      return;
    }
    counts.ok++;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag, 'cache-control': 'max-age=0, private, must-revalidate' }).end(json);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const update = (incidentId: string, input: { id: string; status: string; at: string; body: string; components?: { name: string; status: string }[] }): StatuspageUpdate => ({
    id: input.id,
    status: input.status,
    body: input.body,
    incident_id: incidentId,
    created_at: input.at,
    updated_at: input.at,
    display_at: input.at,
    affected_components: input.components?.map((c) => ({ code: component(c.name, c.status, input.at).id, name: c.name, old_status: components.get(c.name)?.status ?? 'operational', new_status: c.status })) ?? null,
    deliver_notifications: true,
    custom_tweet: null,
    tweet_id: null,
  });

  const json = (res: ServerResponse, status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));

  /** The manage API: the key, then `failNext` and `loseNextAnswer`, then the incidents. */
  const manage = (req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      const record: ManageRequest = { method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, body: text ? JSON.parse(text) : undefined, arrivedAt };
      manageRequests.push(record);
      const answer = (status: number, value: unknown) => {
        if (loseAnswer) {
          loseAnswer = false;
          req.socket.destroy();
          return;
        }
        record.status = status;
        json(res, status, value);
      };
      if (req.headers.authorization !== `OAuth ${options.apiKey ?? 'statuspage-key'}`) return answer(401, { error: 'Could not authenticate' });
      if (failures.n > 0) {
        failures.n--;
        counts.failed++;
        record.status = failures.status;
        res.writeHead(failures.status, { 'content-type': 'application/json', ...(failures.retryAfter ? { 'retry-after': failures.retryAfter } : {}) }).end('{"error":"failed"}');
        return;
      }
      const [, , pages, page, resource, id, ...rest] = url.pathname.split('/');
      if (pages !== 'pages' || page !== PAGE_ID || resource !== 'incidents' || rest.length > 0) return answer(404, { error: 'The requested resource could not be found.' });
      const at = (options.now?.() ?? new Date()).toISOString();
      const sent = (record.body as { incident?: { name?: string; status?: string; body?: string; component_ids?: string[] } } | undefined)?.incident ?? {};
      if (req.method === 'GET' && id === undefined) {
        // q: the text in the name, status, postmortem_body or an update's body.
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 100);
        const offset = (Number(url.searchParams.get('page') ?? 1) - 1) * limit;
        const found = [...incidents]
          .reverse()
          .filter((i) => [i.name, i.status, ...i.incident_updates.map((u) => u.body)].some((s) => s.toLowerCase().includes(q)))
          .map((i) => ({ ...i, postmortem_body: null, incident_updates: [...i.incident_updates].reverse() }));
        return answer(200, found.slice(offset, offset + limit));
      }
      if (req.method === 'POST' && id === undefined) {
        if (!sent.name) return answer(422, { error: 'name is required' });
        const newId = randomBytes(6).toString('hex');
        const affected = [...components.values()].filter((c) => sent.component_ids?.includes(c.id));
        incidents.push({
          id: newId,
          name: sent.name,
          status: sent.status ?? 'investigating',
          impact: 'none',
          created_at: at,
          updated_at: at,
          monitoring_at: null,
          resolved_at: null,
          started_at: at,
          shortlink: `https://stspg.io/${newId}`,
          page_id: PAGE_ID,
          incident_updates: [update(newId, { id: `${newId}-u1`, status: sent.status ?? 'investigating', at, body: sent.body ?? '' })],
          components: affected,
        });
        updatedAt = at;
        return answer(201, incidents.at(-1));
      }
      const incident = incidents.find((i) => i.id === id);
      if (req.method === 'PATCH' && incident) {
        const status = sent.status ?? incident.status;
        incident.incident_updates.push(update(incident.id, { id: `${incident.id}-u${incident.incident_updates.length + 1}`, status, at, body: sent.body ?? '' }));
        incident.status = status;
        incident.updated_at = at;
        if (status === 'resolved') incident.resolved_at = at;
        updatedAt = at;
        return answer(200, incident);
      }
      return answer(404, { error: 'The requested resource could not be found.' });
    });
  };

  return {
    baseUrl,
    incidentsUrl: `${baseUrl}/api/v2/incidents.json`,
    manageUrl: `${baseUrl}/v1`,
    pageId: PAGE_ID,
    manageRequests,
    loseNextAnswer() {
      loseAnswer = true;
    },
    counts,
    conditional,
    openIncident(input) {
      const first = update(input.id, { id: `${input.id}-u1`, status: 'investigating', at: input.at, body: input.body, components: input.components });
      incidents.push({
        id: input.id,
        name: input.name,
        status: 'investigating',
        impact: input.impact,
        created_at: input.at,
        updated_at: input.at,
        monitoring_at: null,
        resolved_at: null,
        started_at: input.at,
        shortlink: `https://stspg.io/${input.id}`,
        page_id: PAGE_ID,
        incident_updates: [first],
        components: input.components.map((c) => component(c.name, c.status, input.at)),
      });
      updatedAt = input.at;
    },
    addUpdate(incidentId, input) {
      const incident = incidents.find((i) => i.id === incidentId);
      if (!incident) throw new Error(`no incident ${incidentId}`);
      incident.incident_updates.push(update(incidentId, input));
      incident.status = input.status;
      incident.updated_at = input.at;
      if (input.status === 'monitoring') incident.monitoring_at = input.at;
      if (input.status === 'resolved') {
        incident.resolved_at = input.at;
        for (const c of incident.components) component(c.name, 'operational', input.at);
      }
      incident.components = incident.components.map((c) => components.get(c.name)!);
      updatedAt = input.at;
    },
    failNext(n, status = 500, retryAfter) {
      failures = { n, status, retryAfter };
    },
    hangNext() {
      hang = true;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
