/**
 * The set-up of the processors' (and ops') engine tests, once: the broker suite of topology/testing plus the
 * journey engine in child processes (engine-child.ts) that a test SIGKILLs and restarts. Call it at the top
 * level of a test file.
 */
import type { ChildProcess } from 'node:child_process';
import { brokerSuite, extendSuite, type BrokerSuite } from '../../topology/testing/index.js';
import type { EngineChildConfig } from './engine-child.js';

export interface EngineSuite extends BrokerSuite {
  /** Starts an engine process; resolves once its app runs. SIGKILLed after the file's tests if still running. */
  readonly startEngine: (config: EngineChildConfig) => Promise<ChildProcess>;
}

export function engineSuite(clientId: string): EngineSuite {
  const suite = brokerSuite(clientId);
  return extendSuite(suite, {
    startEngine: (config: EngineChildConfig) =>
      suite.children.start(new URL('./engine-child.ts', import.meta.url), {
        env: { JO_TEST_ENGINE: JSON.stringify(config) },
      }),
  });
}
