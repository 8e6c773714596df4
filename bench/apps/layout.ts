/**
 * Tables per stack in every benchmark app: CloudFormation allows 500 resources per stack and
 * StreamTriggeredTable creates 13 per table, so a 50-table app needs more than one stack, as it would
 * in real life. (No imports: bench/synth.ts reads it too.)
 */
export const TABLES_PER_STACK = 25;
