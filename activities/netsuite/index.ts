export * from './client';
export * from './auth';
export * from './errors';
export * from './types';
export * from './suiteql';
export * from './journals';
export * from './approval-mode';
