import type { Provider, Type } from '@nestjs/common';
import type { AppConfig } from '#config';
import {
  ApproverLinks,
  PasskeyRegistration,
  Passkeys,
  PolicyState,
  RequesterQueries,
} from '#access';
import { RequesterRepository } from '#persistence';
import { AdminPagesController } from './admin-pages.controller.js';
import { AdminPasskeysController } from './admin-passkeys.controller.js';
import { ApprovalSigningController } from './approval-signing.controller.js';
import { AssetsController } from './assets.controller.js';
import { SignInFallbackController, SignOutPageController } from './auth-pages.controller.js';
import { DemoSignInController } from './demo-sign-in.controller.js';
import { OidcSignIn } from './oidc-sign-in.js';
import { PasskeyRegistrationController } from './passkey-registration.controller.js';
import { PasskeysController } from './passkeys.controller.js';
import { RequestPagesController } from './request-pages.controller.js';
import { RequesterPagesController } from './requester-pages.controller.js';
import { SignInController } from './sign-in.controller.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebSessions } from './web-sessions.js';

/**
 * The web pages (docs/api.md §6). Sign-in routes exist only where they work: OpenID Connect when
 * `auth.web` is configured, the demo user picker only under the built-in demo config.
 */
export function webControllers(config: AppConfig): Type[] {
  return [
    AssetsController,
    RequestPagesController,
    ApprovalSigningController,
    RequesterPagesController,
    PasskeysController,
    PasskeyRegistrationController,
    AdminPagesController,
    AdminPasskeysController,
    SignOutPageController,
    ...(config.web ? [SignInController] : [SignInFallbackController]),
    ...(config.demo ? [DemoSignInController] : []),
  ];
}

export function webProviders(config: AppConfig): Provider[] {
  const web = config.web;
  return [
    WebSessions,
    RequesterRepository,
    RequesterQueries,
    PasskeyRegistration,
    Passkeys,
    {
      provide: ApproverLinks,
      useFactory: (policy: PolicyState) => new ApproverLinks(policy, config.publicUrl),
      inject: [PolicyState],
    },
    WebAuthGuard,
    ...(web ? [{ provide: OidcSignIn, useValue: new OidcSignIn(web, config.publicUrl) }] : []),
  ];
}
