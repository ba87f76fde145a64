import type { ApplicationRef } from './entities.js';

/**
 * The application an AppSession belongs to when a client writes results directly through the
 * API (the server creates such sessions implicitly, spec 4.4). Registered apps come later.
 */
export const API_CLIENT_APPLICATION: ApplicationRef = { id: '1', name: 'seqhub API client' };

export function applicationById(id: string): ApplicationRef {
  return id === API_CLIENT_APPLICATION.id
    ? API_CLIENT_APPLICATION
    : { id, name: `Application ${id}` };
}
