export { buildProgram, runCli } from './program.js';
export { CliError, type CliRuntime } from './runtime.js';
