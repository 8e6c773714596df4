// The offline runner's programmatic API (for your own tests): start, write, wait, read, stop.
export { LocalRunner, LocalTable } from './runner';
export type { LocalRunnerOptions, RunSummary } from './runner';
export { readAssembly } from './assembly/read-assembly';
export type { StreamTriggeredTableDefinition } from './assembly/read-assembly';
export type { Clock, MappingActivity } from './mapping/mapping-emulator';
export type { LedgerSummary, RecordDisposition } from './ledger/ledger';
export type { OnFailureRecord } from './destinations/failure-destination-writer';
export { formatActivity, formatSummary } from './report';
