export * from './stream-triggered-table';
export * from './stream-triggered-table-props';
export * from './stream-consumer';
export * from './stream-consumer-options';
export * from './stream-handler';
export * from './failure-destination';
export * from './stream-filter';
export * from './alarms';
