import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One scripted answer: the receiver answers the next request with it instead of verifying. */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
}

/**
 * A webhook receiver on 127.0.0.1 that verifies every request with the standardwebhooks library
 * (204, or 400 with the reason in `rejected`); while `script` holds answers it gives those first.
 * Call `start()` before reading `url`.
 */
export function webhookReceiver<Payload>(secret: string) {
  const received: { id: string; payload: Payload }[] = [];
  const rejected: string[] = [];
  const script: ScriptedAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const next = script.shift();
      if (next) {
        res.writeHead(next.status, next.headers).end();
        return;
      }
      try {
        const payload = new Webhook(secret).verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>) as Payload;
        received.push({ id: String(req.headers['webhook-id']), payload });
        res.writeHead(204).end();
      } catch (e) {
        rejected.push((e as Error).message);
        res.writeHead(400).end();
      }
    });
  });
  return {
    received,
    rejected,
    script,
    url: '',
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
