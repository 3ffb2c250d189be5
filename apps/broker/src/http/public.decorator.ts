import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'countersign:public';

/** Marks a route that needs no bearer token: health, metrics, JWKS and the demo issuer. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
