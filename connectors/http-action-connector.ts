/**
 * The HTTP custom-action connector: consumes `jo.commands.http` and sends each command's already rendered
 * request (the connector renders nothing) with auth from the action config and `Idempotency-Key: <commandId>`.
 */
import { ActionExecutor, type ActionExecutorOptions } from './action-executor.js';
import { CommandConsumer, type CommandConsumerOptions } from './command-consumer.js';

export interface HttpActionConnectorOptions
  extends Omit<CommandConsumerOptions, 'connector' | 'handle'>, ActionExecutorOptions {
  /** Connector type / command topic suffix; default `http`. */
  readonly connector?: string;
}

/** Builds (does not start) the HTTP action connector service. */
export function createHttpActionConnector(opts: HttpActionConnectorOptions): CommandConsumer {
  const exec = new ActionExecutor(opts);
  return new CommandConsumer({
    ...opts,
    connector: opts.connector ?? 'http',
    handle: (cmd, attempts) => exec.execute(cmd, cmd.request, attempts),
    throttleOf: (id) => opts.actionConfig?.(id)?.throttle,
    onStop: () => exec.close(),
  });
}
