import { Controller, Get, Header, StreamableFile } from '@nestjs/common';
import { SshAccess } from '#access';
import { Public } from '../http/public.decorator.js';

/** What sshd needs (docs/providers.md "SSH certificates"), public: servers fetch it unattended. */
@Public()
@Controller()
export class SshController {
  constructor(private readonly ssh: SshAccess) {}

  /** The SSH user CA's public keys, OpenSSH lines: sshd's TrustedUserCAKeys. */
  @Get('.well-known/countersign-ssh-ca.pub')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=60')
  caPublicKeys(): Promise<string> {
    return this.ssh.caPublicKeys();
  }

  /** The key revocation list of early-revoked certificates: sshd's RevokedKeys, built fresh. */
  @Get('v1/ssh/krl')
  @Header('Cache-Control', 'no-store')
  async krl(): Promise<StreamableFile> {
    return new StreamableFile(await this.ssh.krl(), { type: 'application/octet-stream' });
  }
}
