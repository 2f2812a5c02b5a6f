/**
 * Console sessions: what a correct `ADMIN_TOKEN` is exchanged for at login, so the token itself
 * is sent once and never stored in the browser. A session id and its CSRF token are 256 random
 * bits each; a session ends at logout, after 30 minutes unused, or 12 hours after login
 * whatever its use. Sessions live in memory: a restart logs everyone out, which is the safe
 * default for an operator console. At most 1000 are held; past that the oldest ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../../actors/kernel/clock.ts";
 * import { SessionStore } from "./sessions.ts";
 *
 * const clock = new ManualClock(0);
 * const sessions = new SessionStore(clock);
 * const session = sessions.create();
 * assert.equal(sessions.find(session.id)?.csrf, session.csrf);
 * await clock.advance(31 * 60_000); // unused for 31 minutes
 * assert.equal(sessions.find(session.id), undefined);
 * assert.equal(sessions.find("made-up"), undefined);
 * ```
 * @module
 */
import type { Clock } from "../../../actors/kernel/clock.ts";
import { constantTimeEqual } from "../constant_time.ts";

/** One logged-in operator. */
export interface Session {
  readonly id: string;
  /** The token every state-changing request of this session must carry. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

/** How long a session may go unused. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** How long a session lasts at most, however it is used. */
export const SESSION_MAX_MS = 12 * 3_600_000;
const maxSessions = 1_000;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The console's sessions; see the module doc. */
export class SessionStore {
  readonly #clock: Clock;
  readonly #sessions = new Map<string, Session>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A new session, after a correct login. */
  create(): Session {
    if (this.#sessions.size >= maxSessions) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const now = this.#clock.now();
    const session = { id: randomToken(), csrf: randomToken(), createdAt: now, lastSeenAt: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (and marks it used), or undefined. */
  find(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#clock.now();
    if (now - session.lastSeenAt > SESSION_IDLE_MS || now - session.createdAt > SESSION_MAX_MS) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  /** Whether `token` is the session's CSRF token, compared in constant time. */
  csrfMatches(session: Session, token: string | null | undefined): boolean {
    return typeof token === "string" && token !== "" && constantTimeEqual(token, session.csrf);
  }

  /** Ends a session (logout). */
  end(id: string): void {
    this.#sessions.delete(id);
  }
}
