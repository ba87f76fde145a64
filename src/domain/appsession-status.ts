import { AppError } from './errors.js';

/** AppSession statuses as the API writes them (spec 4.6): PascalCase, case-sensitive for the SDK. */
export const AppSessionStatuses = [
  'Running',
  'Complete',
  'NeedsAttention',
  'TimedOut',
  'Aborted',
] as const;
export type AppSessionStatus = (typeof AppSessionStatuses)[number];

/** Complete and Aborted are terminal: no further changes (spec 4.6). */
export const FINAL_STATUSES: readonly AppSessionStatus[] = ['Complete', 'Aborted'];

/** The Python SDK's `canWorkOn`: results and samples may be added only in these. */
export const WORKABLE_STATUSES: readonly AppSessionStatus[] = [
  'Running',
  'NeedsAttention',
  'TimedOut',
];

export function isWorkable(status: AppSessionStatus): boolean {
  return WORKABLE_STATUSES.includes(status);
}

/** Reads a status the way clients send it (`complete`, `Complete`, `needsattention`...). */
export function parseAppSessionStatus(raw: string): AppSessionStatus {
  const found = AppSessionStatuses.find((s) => s.toLowerCase() === raw.trim().toLowerCase());
  if (!found) {
    throw new AppError(
      'BASESPACE.APPSESSIONS.STATUS_INVALID',
      `Unknown AppSession status '${raw.slice(0, 40)}'; expected one of ${AppSessionStatuses.join(', ')}`,
    );
  }
  return found;
}

/** Throws unless `from -> to` is legal. Any non-final status may move to any status. */
export function assertTransition(from: AppSessionStatus, to: AppSessionStatus): void {
  if (FINAL_STATUSES.includes(from)) {
    throw new AppError(
      'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      `AppSession is ${from}, which is final: it cannot change to ${to}`,
    );
  }
}
