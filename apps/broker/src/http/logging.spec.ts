import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { accessLog } from './logging.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.use(accessLog(pino({ level }, stream)));
  app.get('/v1/requests', (req, res) => {
    res.json({ logger: 'log' in req });
  });
  app.get('/auth/callback', (_req, res) => {
    res.status(302).end();
  });
  return { app, lines };
}

describe('accessLog', () => {
  it('writes one line naming the request and its status, no header', async () => {
    const { app, lines } = capture('info');
    await request(app)
      .get('/v1/requests?status=pending')
      .set('authorization', 'Bearer secret-token')
      .set('cookie', 'session=secret-cookie')
      .expect(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      req: { method: 'GET', url: '/v1/requests?status=pending' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(JSON.stringify(lines)).not.toMatch(/secret|headers/);
  });

  it("keeps the sign-in callback's authorization code out of the line", async () => {
    const { app, lines } = capture('info');
    await request(app).get('/auth/callback?code=secret-code&state=s').expect(302);
    expect(lines[0]).toMatchObject({ req: { url: '/auth/callback' } });
    expect(JSON.stringify(lines)).not.toContain('secret-code');
  });

  it('does no per-request work when nothing would be written', async () => {
    const { app, lines } = capture('silent');
    const response = await request(app).get('/v1/requests').expect(200);
    expect(response.body).toStrictEqual({ logger: false });
    expect(lines).toHaveLength(0);
  });
});
