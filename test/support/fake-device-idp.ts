import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An identity provider's device authorization endpoints (RFC 8628), as a third party the CLI
 * talks to: discovery, device authorization, and a token endpoint that answers
 * `authorization_pending` once. `/plain` is an issuer without the device flow.
 */
export class FakeDeviceIdp {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly seen: { polls: number; clientIds: string[] },
  ) {}

  get polls(): number {
    return this.seen.polls;
  }

  get clientIds(): string[] {
    return this.seen.clientIds;
  }

  static async start(token: () => Promise<string>): Promise<FakeDeviceIdp> {
    const seen = { polls: 0, clientIds: [] as string[] };
    const server = createHttpServer((req, res) => {
      const base = `http://${req.headers.host}`;
      const json = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        switch (req.url ?? '') {
          case '/.well-known/openid-configuration':
            return json(200, {
              issuer: base,
              token_endpoint: `${base}/token`,
              device_authorization_endpoint: `${base}/device`,
            });
          case '/plain/.well-known/openid-configuration':
            return json(200, { issuer: `${base}/plain`, token_endpoint: `${base}/token` });
          case '/device':
            seen.clientIds.push(form.get('client_id') ?? '');
            return json(200, {
              device_code: 'device-code-1',
              user_code: 'WDJB-MJHT',
              verification_uri: `${base}/activate`,
              verification_uri_complete: `${base}/activate?user_code=WDJB-MJHT`,
              expires_in: 60,
              interval: 1,
            });
          case '/token':
            if (form.get('device_code') !== 'device-code-1') {
              return json(400, { error: 'invalid_grant' });
            }
            if (++seen.polls === 1) return json(400, { error: 'authorization_pending' });
            void token().then((accessToken) =>
              json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }),
            );
            return;
          default:
            return json(404, { error: 'not_found' });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new FakeDeviceIdp(server, `http://127.0.0.1:${port}`, seen);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
