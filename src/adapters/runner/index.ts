export { LocalAppSandbox } from './local.sandbox.js';
