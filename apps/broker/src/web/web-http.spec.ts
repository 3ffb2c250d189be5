import type { Response } from 'express';
import { pageScriptPolicy } from './web-http.js';

const pages = "default-src 'none';style-src 'self'";
const answering = (policy: string | undefined) =>
  ({
    getHeader: (name: string) => (name === 'Content-Security-Policy' ? policy : undefined),
  }) as Response;

describe('pageScriptPolicy', () => {
  it('adds exactly one script, by its full URL on the public origin, and the extra directives', () => {
    const url = 'https://access.example.com/base/';
    expect(pageScriptPolicy(answering(pages), url, '/assets/copy.js')).toBe(
      `${pages};script-src https://access.example.com/assets/copy.js`,
    );
    expect(
      pageScriptPolicy(answering(pages), url, '/assets/passkey.js', "connect-src 'self'"),
    ).toBe(`${pages};script-src https://access.example.com/assets/passkey.js;connect-src 'self'`);
  });

  it('fails when the pages have no policy, rather than answer with a script and none', () => {
    expect(() =>
      pageScriptPolicy(answering(undefined), 'http://localhost', '/assets/copy.js'),
    ).toThrow('the pages have no Content-Security-Policy');
  });
});
