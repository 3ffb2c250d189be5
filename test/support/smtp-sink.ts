import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  mail: ParsedMail;
}

/** A message read in full whose acceptance (`250`) the sink holds back until `accept()`. */
export interface HeldMail extends ReceivedMail {
  accept(): void;
}

/**
 * A real SMTP server on 127.0.0.1 that keeps every message it accepts, parsed. While `holding`, a
 * message read in full waits in `held`, unanswered, until the test accepts it (or kills the
 * sender, which then never learns it was accepted, and the sink never counts it).
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  holding = false;
  held: HeldMail[] = [];

  private constructor(private readonly server: SMTPServer) {}

  static async start(): Promise<SmtpSink> {
    const server: SMTPServer = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
            const accept = () => {
              sink.received.push({ to, mail });
              callback();
            };
            if (sink.holding) sink.held.push({ to, mail, accept });
            else accept();
          })
          .catch((error: Error) => callback(error));
      },
    });
    const sink = new SmtpSink(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((received) => received.to.includes(address));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
