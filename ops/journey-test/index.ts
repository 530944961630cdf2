// `jo test` and `jo replay`: journey test files and replays of past traffic (see each file's comment).
export { testCommand } from './test-command.js';
export { replayCommand, replayText, progressBar, type ReplayCommandOutcome } from './replay-command.js';
export { runReplay, defaultReplayWorkers, type ReplayOptions, type ReplayResult, type NodeCounts } from './replay.js';
export { ReplayShards, type ReplayEvent } from './replay-shards.js';
export { rangesByTime, rangesToNow, readRanges, type PartitionRange } from './topic-reader.js';
