// The offline runner's programmatic API (for your own tests): start, write, wait, read, stop.
export { LocalRunner, LocalTable } from './runner';
export type { LocalRunnerOptions, RunSummary } from './runner';
export { readAssembly } from './assembly';
export type { StreamTriggeredTableDefinition } from './assembly';
export type { Clock, MappingActivity } from './mapping-emulator';
export type { LedgerSummary, RecordDisposition } from './ledger';
export type { OnFailureRecord } from './failure-destination-writer';
export { formatActivity, formatSummary } from './report';
