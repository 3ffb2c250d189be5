import { mapInFlight } from './in-flight.js';

describe('mapInFlight', () => {
  it('runs at most `limit` at once and returns results in the order of the items', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const results = await mapInFlight(items, 4, async (item) => {
      running += 1;
      most = Math.max(most, running);
      // Later items finish first, so order comes from the index, not from completion.
      await new Promise((resolve) => setTimeout(resolve, 25 - item));
      running -= 1;
      return item * 2;
    });
    expect(results).toEqual(items.map((item) => item * 2));
    expect(most).toBe(4);
  });

  it('handles fewer items than the limit, and none', async () => {
    await expect(mapInFlight([1, 2], 8, (item) => Promise.resolve(item + 1))).resolves.toEqual([
      2, 3,
    ]);
    await expect(mapInFlight([], 8, () => Promise.resolve(1))).resolves.toEqual([]);
  });
});
