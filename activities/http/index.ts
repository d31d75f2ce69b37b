export * from './errors';
export * from './retry';
export * from './limiter';
export * from './redact';
export * from './transport';
export * from './activity-failure';
export * from './token-cache';
export * from './pipeline';
