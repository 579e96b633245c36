import { randomUUID } from 'node:crypto';
import { type FakeServer, sendJson, startFake, transform } from './behaviour.ts';

export const FAKE_DEEPL_KEY = 'test-key:fx';

interface StoredGlossary {
  glossary_id: string;
  name: string;
  ready: boolean;
  source_lang: string;
  target_lang: string;
  creation_time: string;
  entry_count: number;
  entries: string;
}

export interface FakeDeepl extends FakeServer {
  glossaries: Map<string, StoredGlossary>;
  /** Every /v2/translate form received, for assertions on parameters. */
  translateRequests: URLSearchParams[];
}

/**
 * DeepL's v2 API as deepl-node speaks it: `POST /v2/translate` (form-encoded, `text`
 * repeated, `tag_handling=xml` keeps tags), and `/v2/glossaries` create, list, get,
 * entries, delete. Auth is `Authorization: DeepL-Auth-Key <key>`; errors carry `message`.
 */
export async function startFakeDeepl(): Promise<FakeDeepl> {
  const glossaries = new Map<string, StoredGlossary>();
  const translateRequests: URLSearchParams[] = [];
  const info = ({ entries: _entries, ...g }: StoredGlossary) => g;
  const fake = await startFake((req, body, res, server) => {
    if (req.headers.authorization !== `DeepL-Auth-Key ${FAKE_DEEPL_KEY}`) return sendJson(res, 403, { message: 'Wrong auth key' });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const form = new URLSearchParams(body);
    if (req.method === 'POST' && path === '/v2/translate') {
      translateRequests.push(form);
      const mode = server.mode;
      if (mode === 'timeout') return; // never answers
      if (typeof mode === 'number') return sendJson(res, mode, { message: `fake status ${mode}` });
      const target = form.get('target_lang');
      const texts = form.getAll('text');
      if (!target || texts.length === 0) return sendJson(res, 400, { message: 'Parameter target_lang and text are required' });
      const glossaryId = form.get('glossary_id');
      if (glossaryId) {
        const g = glossaries.get(glossaryId);
        if (!form.get('source_lang')) return sendJson(res, 400, { message: 'source_lang is required with a glossary' });
        if (!g || g.source_lang !== form.get('source_lang')!.toLowerCase() || g.target_lang !== target.split('-')[0]!.toLowerCase()) {
          return sendJson(res, 400, { message: 'Glossary does not match the language pair' });
        }
      }
      const token = form.get('tag_handling') === 'xml' ? /<[^>]+>/ : /⟦\d+⟧/;
      return sendJson(res, 200, {
        translations: texts.map((text) => ({
          detected_source_language: (form.get('source_lang') ?? 'EN').toUpperCase(),
          text: transform(text, target.toLowerCase(), mode, token),
          billed_characters: text.length,
        })),
      });
    }
    if (req.method === 'GET' && path === '/v2/glossaries') return sendJson(res, 200, { glossaries: [...glossaries.values()].map(info) });
    if (req.method === 'POST' && path === '/v2/glossaries') {
      const entries = form.get('entries') ?? '';
      if (form.get('entries_format') !== 'tsv' || !form.get('name')) return sendJson(res, 400, { message: 'Bad glossary' });
      const g: StoredGlossary = {
        glossary_id: randomUUID(),
        name: form.get('name')!,
        ready: true,
        source_lang: form.get('source_lang')!,
        target_lang: form.get('target_lang')!,
        creation_time: new Date().toISOString(),
        entry_count: entries.split('\n').filter(Boolean).length,
        entries,
      };
      glossaries.set(g.glossary_id, g);
      return sendJson(res, 201, info(g));
    }
    const match = /^\/v2\/glossaries\/([^/]+)(\/entries)?$/.exec(path);
    const g = match ? glossaries.get(match[1]!) : undefined;
    if (match && !g) return sendJson(res, 404, { message: 'Glossary not found' });
    if (g && req.method === 'GET' && match![2]) {
      res.writeHead(200, { 'content-type': 'text/tab-separated-values' });
      return res.end(g.entries);
    }
    if (g && req.method === 'GET') return sendJson(res, 200, info(g));
    if (g && req.method === 'DELETE') {
      glossaries.delete(g.glossary_id);
      res.writeHead(204);
      return res.end();
    }
    return sendJson(res, 404, { message: 'Not found' });
  });
  return Object.assign(fake, { glossaries, translateRequests });
}
