/**
 * Logs are JSON lines (pino) for machines, or human-readable (`format: 'pretty'`, the default on a terminal).
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(opts: { level: string; format: 'json' | 'pretty'; name?: string }): Logger {
  const base = { level: opts.level, name: opts.name ?? 'jo', base: { pid: process.pid } };
  if (opts.format === 'pretty') {
    return pino(
      base,
      pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
    );
  }
  return pino(base);
}
