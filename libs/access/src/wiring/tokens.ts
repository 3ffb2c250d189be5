/**
 * Injection tokens, for what Nest cannot find by a constructor's type: values (config, clock,
 * data source, options) and interfaces with several implementations. Everything else is resolved
 * by its class.
 */
export { DATA_SOURCE } from '#persistence';
export const APP_CONFIG = 'countersign:config';
/** A Clock: the system's, or a test's. */
export const CLOCK = 'countersign:clock';
/** An AccessObserver (metrics and the request notifier). */
export const OBSERVER = 'countersign:observer';
/** A RequestNotifier; each app provides one (libs/notify `notifierProviders`). */
export const REQUEST_NOTIFIER = 'countersign:request-notifier';
/** A RevocationScheduler: BullMQ with Redis, in-process timers without. */
export const REVOCATION_SCHEDULER = 'countersign:revocation-scheduler';
/** Credential providers that replace those of their type (tests inject failing ones). */
export const CREDENTIAL_PROVIDERS = 'countersign:credential-providers';
export const SWEEP_OPTIONS = 'countersign:sweep-options';
