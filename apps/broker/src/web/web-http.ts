import type { INestApplication } from '@nestjs/common';
import express from 'express';
import helmet from 'helmet';

/** Path prefixes of the server-rendered pages (the API lives under /v1). */
export const WEB_PATHS = ['/requests', '/me', '/admin', '/auth', '/assets'];

/**
 * The pages run no script at all, so their policy allows none: styles only from our own
 * stylesheet, forms only to ourselves, no framing (clickjacking an Approve button), no base
 * tag. Forms arrive url-encoded, small.
 */
export function configureWebHttp(app: INestApplication): void {
  app.use(
    WEB_PATHS,
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
    }),
  );
  app.use(WEB_PATHS, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
}
