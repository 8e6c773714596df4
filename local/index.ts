// The offline runner's programmatic API (for your own tests): start, write, wait, read, stop.
export { LocalBucket, LocalFunction, LocalMapping, LocalRunner, LocalTable } from './runner';
export type { ChangeLogLine, LocalRunnerOptions, MappingSummary, RunSummary, SynthesizableApp } from './runner';
export { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from './engine/shared-dynamodb';
export { SHARED_ASSEMBLY_VARIABLE } from './assembly/shared-assembly';
export { JAVA_OPTIONS_VARIABLE } from './engine/java-options';
export { AppModel, UnresolvedEnvironmentError, UnsupportedFunctionError } from './assembly/app-model';
export { AssemblyError } from './assembly/cloud-assembly';
export type {
  BucketDefinition, FunctionDefinition, MappingDefinition, SkippedMapping, StreamMappingDefinition, TableDefinition,
} from './assembly/definitions';
export type { Clock, MappingActivity } from './mapping/mapping-emulator';
export type { InvokeResult } from './lambda/function-host';
export type { LedgerSummary, RecordDisposition } from './ledger/ledger';
export type { OnFailureRecord } from './destinations/failure-destination-writer';
export { formatActivity, formatSummary } from './report';
