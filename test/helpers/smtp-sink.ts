import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server (`smtp-server`) on 127.0.0.1 collecting parsed mails. */
export interface SmtpSink {
  readonly mails: ParsedMail[];
  /** 0 until first started; then the same port for every later `start()`. */
  readonly port: number;
  readonly url: string;
  /** Listens (again, after `stop()`, on the same port). */
  start(): Promise<void>;
  /** Closes the listener and drops open connections: an outage until `start()`. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** A sink not listening yet: call `start()`. */
export function smtpSink(): SmtpSink {
  const mails: ParsedMail[] = [];
  let port = 0;
  let server: SMTPServer;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    mails,
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    async start() {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        // Pooled clients keep connections open; a stopped server must drop them, not wait 30 s.
        closeTimeout: 50,
        onData(stream, _session, done) {
          simpleParser(stream).then((mail) => {
            mails.push(mail);
            done();
          }, done);
        },
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      port = (server.server.address() as AddressInfo).port;
    },
    stop,
    close: stop,
  };
}

/** A sink already listening. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const sink = smtpSink();
  await sink.start();
  return sink;
}
