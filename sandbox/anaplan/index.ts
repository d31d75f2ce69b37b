export { startAnaplanSandbox, type AnaplanSandbox, type AnaplanSandboxOptions } from './server';
export { DEFAULT_CONFIG as ANAPLAN_SANDBOX_DEFAULTS, type SandboxConfig as AnaplanSandboxConfig } from './state';
export { WORKSPACE_NAME, MODEL_NAME, GL_COLUMNS, PLAN_EXPORT_COLUMNS } from './seed';
