import type { Services } from '../../services/index.js';

export interface RouteDeps {
  services: Services;
  /** Absolute origin for HrefBaseSpaceUI when behind a proxy; else taken from the request. */
  publicUrl?: string | undefined;
}
