import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import helmet from 'helmet';
import { configureWebHttp } from '../web/web-http.js';
import { ErrorFilter } from './error.filter.js';
import { jsonBodiesOnly } from './json-bodies.js';

export const BODY_LIMIT = '1mb';

/** Slack signs the raw form body, so that route keeps it as a Buffer (docs/api.md §7). */
export const SLACK_INTERACTIONS_PATH = '/v1/slack/interactions';

/**
 * Body parsing errors happen before Nest routes a request, so they are answered here in the
 * contract's shape: 413 `payload_too_large` over 1 MB, 400 `invalid_request` for malformed JSON,
 * 415 `unsupported_media_type` for a body the parser cannot decode.
 */
function bodyErrors(
  error: { type?: string; status?: number },
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (error.type === 'entity.too.large') {
    res
      .status(413)
      .json({ error: 'payload_too_large', message: `bodies are limited to ${BODY_LIMIT}` });
  } else if (error.type === 'entity.parse.failed' || error.status === 400) {
    res.status(400).json({ error: 'invalid_request', message: 'malformed JSON body' });
  } else if (
    error.status === 415 ||
    error.type === 'encoding.unsupported' ||
    error.type === 'charset.unsupported'
  ) {
    // A charset other than UTF-8, or a Content-Encoding the parser does not inflate.
    res.status(415).json({
      error: 'unsupported_media_type',
      message: 'cannot decode the body: send JSON in UTF-8, uncompressed or gzip',
    });
  } else {
    next(error);
  }
}

/** Everything the HTTP layer needs, shared by main.ts and the tests so both run the same stack. */
export function configureHttp(app: INestApplication): void {
  app.use(helmet());
  configureWebHttp(app);
  // Before the JSON parser, which then leaves the already-read body alone.
  app.use(
    SLACK_INTERACTIONS_PATH,
    express.raw({ type: 'application/x-www-form-urlencoded', limit: BODY_LIMIT }),
  );
  app.use('/v1', jsonBodiesOnly(SLACK_INTERACTIONS_PATH));
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));
  app.use(bodyErrors);
  app.useGlobalFilters(new ErrorFilter());
}
