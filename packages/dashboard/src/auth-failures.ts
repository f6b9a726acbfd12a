/**
 * Failed authentications per client IP address, counted with @fastify/rate-limit's store:
 * a request without a valid token or session, a login with a wrong token. An address that
 * has failed `max` times within `windowMs` is locked out until its window ends: its wrong
 * guesses get 429 without being counted, and the right token still passes (the server asks
 * `lockedFor` only after the credentials failed). Routes open without the token stay open.
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";

export interface AuthFailuresOptions {
  /** Failures an address may have within the window (config httpAuthFailuresMax). */
  max: number;
  /** config httpAuthFailuresWindowMs. */
  windowMs: number;
}

type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;

export class AuthFailures {
  private limiter: Limiter | undefined;

  /** Registers the rate-limit plugin on `app` (no route is limited by it: only failures are counted, here). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly options: AuthFailuresOptions,
  ) {
    void app.register(rateLimit, { global: false });
  }

  /** Seconds until `req`'s address may try again, when it is locked out; undefined when it is not. */
  async lockedFor(req: FastifyRequest): Promise<number | undefined> {
    const state = await this.limit()(req, { increment: false });
    if (state.isAllowed || state.remaining > 0) return undefined;
    return Math.max(1, state.ttlInSeconds);
  }

  /** Counts a failure of `req`'s address. */
  async failed(req: FastifyRequest): Promise<void> {
    await this.limit()(req);
  }

  /** Made at the first request: the plugin's decorator exists once the server is ready. */
  private limit(): Limiter {
    this.limiter ??= this.app.createRateLimit({ max: this.options.max, timeWindow: this.options.windowMs });
    return this.limiter;
  }
}
