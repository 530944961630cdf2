/**
 * A local HTTP endpoint for `npm start`'s sample journey: answers 200 to every request and logs what it got,
 * so a new user sees the journey's actions arrive without configuring a real email provider.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from './logger.js';

export interface DevSink {
  readonly url: string;
  readonly received: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0: any free port); rejects with the listen error (EADDRINUSE when taken). */
export async function startDevSink(logger: Logger, port = 8090): Promise<DevSink> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      logger.info(
        {
          method: req.method,
          url: req.url,
          idempotencyKey: req.headers['idempotency-key'],
          body: Buffer.concat(chunks).toString('utf8'),
        },
        'sample endpoint received an action call',
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`;
  return {
    url,
    get received() {
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // the connector's kept-alive connections would hold close() open
        server.closeAllConnections();
      }),
  };
}
