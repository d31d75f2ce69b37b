export * from './client';
export * from './auth';
export * from './budget';
export * from './errors';
export * from './files';
export * from './tasks';
export * from './types';
export * from './port';
