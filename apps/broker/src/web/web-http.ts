import type { INestApplication } from '@nestjs/common';
import type { Response } from 'express';
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

/**
 * The policy of a page that may run one script of ours: the pages' own (above, as helmet set it on
 * this response), plus leave to run exactly that script, named by its full URL so no other file of
 * this origin qualifies, and any `extra` directives. Read it before the page's work and set it
 * after: a page that cannot be given its policy fails before it has done anything.
 */
export function pageScriptPolicy(
  res: Response,
  publicUrl: string,
  scriptPath: string,
  ...extra: string[]
): string {
  const pages = res.getHeader('Content-Security-Policy');
  if (typeof pages !== 'string') throw new Error('the pages have no Content-Security-Policy');
  return [pages, `script-src ${new URL(scriptPath, publicUrl).href}`, ...extra].join(';');
}
