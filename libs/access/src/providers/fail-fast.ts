import { ProviderError } from './credential-provider.js';

/**
 * After a target was found unreachable, fail at once for a short while instead of waiting out
 * another connect timeout: the revocation path ends grants in batches, and one dead target must
 * not cost each grant of a batch its own timeout. The revocation path retries them all later.
 */
export class FailFast {
  private until = 0;
  private reason = '';

  constructor(private readonly windowMs = 2000) {}

  /** Throws the last failure while the window is open. */
  check(): void {
    if (Date.now() < this.until) throw new ProviderError(this.reason);
  }

  /** Opens the window, from now, with the audit-safe message of the failure. */
  trip(reason: string): void {
    this.reason = reason;
    this.until = Date.now() + this.windowMs;
  }
}
