import type { ApplicationRef } from './entities.js';

/**
 * The application an AppSession belongs to when a client writes results directly through the
 * API (the server creates such sessions implicitly, spec 4.4). Registered apps come later.
 */
export const API_CLIENT_APPLICATION: ApplicationRef = { id: '1', name: 'seqhub API client' };

/** The hub's own demultiplexing (`POST runs/{id}/demultiplex`): its AppSessions belong to it. */
export const DEMUX_APPLICATION: ApplicationRef = { id: '2', name: 'seqhub Demultiplexing' };

export function applicationById(id: string): ApplicationRef {
  if (id === API_CLIENT_APPLICATION.id) return API_CLIENT_APPLICATION;
  if (id === DEMUX_APPLICATION.id) return DEMUX_APPLICATION;
  return { id, name: `Application ${id}` };
}
