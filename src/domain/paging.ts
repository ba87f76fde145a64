/** Paging and sorting of every v1pre3 list (spec 1.6). */
export const SortDirs = ['Asc', 'Desc'] as const;
export type SortDir = (typeof SortDirs)[number];

export const DEFAULT_LIMIT = 10;
/** Spec 1.6: Limit range is 0-1024 (the Python SDK always asks for 1024). */
export const MAX_LIMIT = 1024;

export interface PageRequest<S extends string = string> {
  offset: number;
  limit: number;
  sortBy: S;
  sortDir: SortDir;
}

export interface Page<T> {
  items: T[];
  totalCount: number;
}
