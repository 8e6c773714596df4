/**
 * Set by the jest preset's global setup to the DynamoDB Local it started for the whole jest run (or set by
 * a CI job to one it runs): a runner started without `endpoint` joins it, with tables of its own.
 */
export const SHARED_DYNAMODB_ENDPOINT_VARIABLE = 'CDK_STREAM_TRIGGERED_TABLE_DYNAMODB_ENDPOINT';
