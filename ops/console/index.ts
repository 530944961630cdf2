/** ops/console — the web console served by the admin API at `/console` (see README.md in this folder). */
export { registerConsole, CONSOLE_PREFIX, type ConsoleOptions } from './plugin.js';
