import { FixedClock, systemClock } from './clock.js';

describe('FixedClock', () => {
  it('starts at the given instant and only moves when told', () => {
    const clock = new FixedClock('2026-03-01T12:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
    clock.advance(90);
    expect(clock.now().toISOString()).toBe('2026-03-01T12:01:30.000Z');
    clock.set(new Date('2026-04-01T00:00:00.000Z'));
    expect(clock.now().toISOString()).toBe('2026-04-01T00:00:00.000Z');
  });

  it('returns a fresh Date each time', () => {
    const clock = new FixedClock();
    const first = clock.now();
    first.setTime(0);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('systemClock', () => {
  it('reads the current time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
