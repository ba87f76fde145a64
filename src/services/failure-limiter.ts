import { RateLimitedError } from '../domain/index.js';
import type { Clock } from '../ports.js';

/**
 * What counts as abuse: failed guesses of a secret, never ordinary traffic. Each kind allows
 * `max` failures per key within `windowMs` (the window starts at the first failure); past that
 * the key is refused until the window ends. Numbers follow OWASP's authentication cheat sheet
 * (a handful of wrong passwords per account, more per address since offices share one).
 */
export const FAILURE_RULES = {
  /** Wrong passwords for one account, from anywhere. */
  'password-account': { max: 5, windowMs: 15 * 60_000 },
  /** Wrong passwords from one address, for any accounts. */
  'password-ip': { max: 20, windowMs: 15 * 60_000 },
  /** Unknown, expired or revoked tokens, client secrets and codes from one address. */
  'token-ip': { max: 20, windowMs: 10 * 60_000 },
  /** Wrong device user codes typed by one signed-in account. */
  'user-code-account': { max: 10, windowMs: 15 * 60_000 },
} as const;

export type FailureKind = keyof typeof FAILURE_RULES;

/** Past this many tracked keys, expired ones are dropped (and all of them if none expired). */
const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts failures in process memory. With N `serve` processes behind a balancer an attacker gets
 * at most N times the limits (documented in docs/api-choices.md); the counters are soft state,
 * so losing them on restart costs nothing but a fresh window.
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, { count: number; resetAt: number }>();

  /** `limits` overrides some kinds' `max` (config: SEQHUB_TOKEN_FAILURES_PER_IP). */
  constructor(
    private readonly clock: Clock,
    private readonly limits: Partial<Record<FailureKind, number>> = {},
  ) {}

  private max(kind: FailureKind): number {
    return this.limits[kind] ?? FAILURE_RULES[kind].max;
  }

  /** Throws a 429 when `key` has used up its failures of `kind`. */
  check(kind: FailureKind, key: string): void {
    const bucket = this.live(kind, key);
    if (bucket && bucket.count >= this.max(kind)) {
      const seconds = Math.max(1, Math.ceil((bucket.resetAt - this.clock.now().getTime()) / 1000));
      throw new RateLimitedError(
        `Too many failed attempts; try again in ${seconds} seconds`,
        seconds,
      );
    }
  }

  /** Records one failure. */
  fail(kind: FailureKind, key: string): void {
    const now = this.clock.now().getTime();
    const bucket = this.live(kind, key);
    if (bucket) {
      bucket.count += 1;
      return;
    }
    if (this.buckets.size >= MAX_TRACKED_KEYS) this.prune(now);
    this.buckets.set(`${kind}\u0000${key}`, {
      count: 1,
      resetAt: now + FAILURE_RULES[kind].windowMs,
    });
  }

  /** Forgets the failures of `key` (a correct password ends an account's streak). */
  reset(kind: FailureKind, key: string): void {
    this.buckets.delete(`${kind}\u0000${key}`);
  }

  private live(kind: FailureKind, key: string) {
    const id = `${kind}\u0000${key}`;
    const bucket = this.buckets.get(id);
    if (bucket && bucket.resetAt <= this.clock.now().getTime()) {
      this.buckets.delete(id);
      return undefined;
    }
    return bucket;
  }

  private prune(now: number): void {
    for (const [id, b] of this.buckets) if (b.resetAt <= now) this.buckets.delete(id);
    if (this.buckets.size >= MAX_TRACKED_KEYS) this.buckets.clear();
  }
}
