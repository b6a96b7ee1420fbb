import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  /** Sent back in every form of this session; a POST without it is refused (CSRF). */
  csrf: string;
  expires: number;
  /** One line for the next page: the outcome of the last action. */
  notice?: { kind: 'ok' | 'error'; text: string };
}

/** Compares two secrets in constant time (their SHA-256, so differing lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

const MAX_SESSIONS = 100;
const MAX_FAILURES = 5;
const LOCKOUT_MS = 60_000;

/**
 * Signed-in sessions, in memory: a daemon restart signs everyone out, which is the safe direction.
 * Wrong tokens are throttled: after five within a minute, sign-in is refused for a minute.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private failures: number[] = [];

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks the token; a new session when it is right. */
  signIn(token: string, given: string): { session: Session } | { refused: 'wrong' | 'throttled' } {
    const t = this.now();
    this.failures = this.failures.filter((at) => t - at < LOCKOUT_MS);
    if (this.failures.length >= MAX_FAILURES) return { refused: 'throttled' };
    if (!given || !sameSecret(token, given)) {
      this.failures.push(t);
      return { refused: 'wrong' };
    }
    this.prune(t);
    const session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), expires: t + this.ttlMs };
    this.sessions.set(session.id, session);
    return { session };
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (s && s.expires <= this.now()) this.sessions.delete(id);
    return s && s.expires > this.now() ? s : undefined;
  }

  drop(id: string): void {
    this.sessions.delete(id);
  }

  private prune(t: number): void {
    for (const [id, s] of this.sessions) if (s.expires <= t) this.sessions.delete(id);
    // Bounded: the oldest sign-ins go first.
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }
}
