import { sshProvider } from './ssh-provider-schema.js';

describe('sshProvider', () => {
  it('keeps principals once each, sorts extensions, and defaults to none', () => {
    expect(
      sshProvider.parse({
        type: 'ssh',
        principals: ['deploy', 'ops', 'deploy'],
        extensions: ['permit-pty', 'permit-agent-forwarding', 'permit-pty'],
        sourceAddress: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
      }),
    ).toEqual({
      type: 'ssh',
      principals: ['deploy', 'ops'],
      extensions: ['permit-agent-forwarding', 'permit-pty'],
      sourceAddress: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
    });
    expect(sshProvider.parse({ type: 'ssh', principals: ['deploy'] })).toEqual({
      type: 'ssh',
      principals: ['deploy'],
      extensions: [],
    });
  });

  it.each([
    ['no principal', { principals: [] }],
    ['a principal with a comma', { principals: ['a,b'] }],
    ['a principal with a space', { principals: ['a b'] }],
    ['an extension OpenSSH does not define', { extensions: ['permit-everything'] }],
    ['a source address that is not an address', { sourceAddress: ['example.com'] }],
    ['an IPv4 prefix past 32', { sourceAddress: ['10.0.0.0/33'] }],
    ['an empty source address list', { sourceAddress: [] }],
    ['an unknown field', { forceCommand: 'id' }],
  ])('refuses %s', (_name, change) => {
    const result = sshProvider.safeParse({ type: 'ssh', principals: ['deploy'], ...change });
    expect(result.success).toBe(false);
  });
});
