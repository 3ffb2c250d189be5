import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PinoLogger } from './pino-logger.js';

function capture(level: string) {
  const lines: { level: number; context?: string; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: new PinoLogger(pino({ level }, stream)), lines };
}

describe('PinoLogger', () => {
  it("keeps Nest's start-up lines (modules, routes) out of the default log", () => {
    const { logger, lines } = capture('info');
    logger.log('Mapped {/v1/requests, POST} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('RequestsController {/v1/requests}:', 'RoutesResolver');
    logger.log('ended 3 overdue grant(s)', 'RevocationSweep');
    expect(lines.map((line) => line.msg)).toEqual(['ended 3 overdue grant(s)']);
  });

  it('writes them at debug', () => {
    const { logger, lines } = capture('debug');
    logger.log('Mapped {/v1/requests, POST} route', 'RouterExplorer');
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, context: 'RouterExplorer', msg: expect.any(String) }),
    ]);
  });

  it('never demotes a warning or an error from those contexts', () => {
    const { logger, lines } = capture('info');
    logger.warn('something odd', 'RoutesResolver');
    logger.error(new Error('broken'), undefined, 'NestApplication');
    expect(lines.map((line) => line.level)).toEqual([40, 50]);
  });
});
