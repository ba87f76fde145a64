import type { ApplicationRef } from './entities.js';

/**
 * The application an AppSession belongs to when a client writes results directly through the
 * API (the server creates such sessions implicitly, spec 4.4). Registered apps come later.
 */
export const API_CLIENT_APPLICATION: ApplicationRef = { id: '1', name: 'seqhub API client' };

/** The hub's own demultiplexing (`POST runs/{id}/demultiplex`): its AppSessions belong to it. */
export const DEMUX_APPLICATION: ApplicationRef = { id: '2', name: 'seqhub Demultiplexing' };

/** Built-in apps (issue 12, src/apps): per-sample FASTQ quality control with fastp. */
export const FASTQ_QC_APPLICATION: ApplicationRef = { id: '3', name: 'FASTQ QC' };

/** Built-in apps (issue 12, src/apps): alignment, duplicate marking and variant calling. */
export const RESEQUENCING_APPLICATION: ApplicationRef = { id: '4', name: 'Resequencing' };

const KNOWN: ApplicationRef[] = [
  API_CLIENT_APPLICATION,
  DEMUX_APPLICATION,
  FASTQ_QC_APPLICATION,
  RESEQUENCING_APPLICATION,
];

/** Names an application registered at run time (src/apps registerApplication) in its sessions. */
export function registerApplicationRef(ref: ApplicationRef): void {
  if (!KNOWN.some((a) => a.id === ref.id)) KNOWN.push({ id: ref.id, name: ref.name });
}

export function applicationById(id: string): ApplicationRef {
  return KNOWN.find((a) => a.id === id) ?? { id, name: `Application ${id}` };
}
