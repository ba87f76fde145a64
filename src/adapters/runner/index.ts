export { bwrapWorks, LocalAppSandbox, type AppIsolation } from './local.sandbox.js';
