/**
 * The `jo` command line's help text, the one description of its commands and flags: printed by `jo --help` (and
 * `jo <command> --help`), and read by the docs guard (ops/docs-commands-guard.test.ts), which refuses a `jo`
 * command or flag named in the docs that this text does not list.
 */
export const usage = `usage: jo <command> [options]      (jo <command> --help: that command alone)
  start [--dev] [--only pipeline,api,connectors] [--config FILE]
                    run the engine (--dev: start a local Kafka broker when KAFKA_BROKERS is unset,
                    create an admin token when none is configured, load the sample journey)
  api               run only the admin REST API (same as: start --only api)
  topics [--dev]    create or verify every topic of the contract
  validate [--kind K] [--no-refs] FILE...
                    check configuration files offline (resources, journeys, bundles, resource sets)
  test --journey FILE --events FILE.jsonl [--profiles FILE] [--responses FILE] [--resources FILE]...
       [--expect FILE] [--start ISO] [--horizon DURATION] [--json]
                    run a journey on a simulated clock with canned responses (nothing is sent); print
                    each profile's trail and per-node counts; exit 1 naming each failed expectation
  replay --journey ID [--version N] --from ISO --to ISO [--compare] [--responses FILE] [--workers N] [--json]
                    run a version over a past range of <prefix>events on a clock driven by event timestamps
                    (own consumer, nothing committed or sent); per-node counts, commands per action, peak
                    commands/s per endpoint; --compare: side by side with what the live engine did
  produce-sample [--count N] [--purchase-ratio R]
                    send demo signup and purchase events (no keys) to <prefix>events
configuration: environment variables (docs/configuration.md) and an optional JSON file (--config / JO_CONFIG_FILE)`;

/** Each command's section of `usage`: its name → its lines (the synopsis and the description under it). */
export function commandSections(text = usage): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n').slice(1)) {
    const name = /^ {2}([a-z][a-z-]*)\b/.exec(line)?.[1];
    if (name) {
      current = name;
      sections.set(name, line);
    } else if (current && line.startsWith('    ')) sections.set(current, `${sections.get(current) ?? ''}\n${line}`);
    else current = undefined;
  }
  return sections;
}

/** The flags (`--only`, `--dev`, ...) a command's section names. */
export function commandFlags(section: string): Set<string> {
  return new Set(section.match(/--[a-z][a-z-]*/g) ?? []);
}

/** What `jo --help` / `jo <command> --help` prints; undefined for a command the CLI does not have. */
export function helpText(command?: string): string | undefined {
  if (command === undefined) return usage;
  const section = commandSections().get(command);
  return section === undefined ? undefined : `usage: jo ${section.trimStart()}`;
}
