import type { SpdySession, SpdyStream } from './spdy';
import type { CommandChannels, CommandRequest } from './remotecommand';

// remotecommand over SPDY: the client opens one stream per channel, named
// by its streamType header; the command starts once all it asked for are
// there (error, and stdin/stdout/stderr as asked, resize with a tty from
// v3 on), as the kubelet's waitForStreams counts them.

export const SPDY_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export function collectSpdyStreams(session: SpdySession, protocol: string, req: CommandRequest, timeoutMs: number): Promise<CommandChannels> {
  const version = protocol === 'channel.k8s.io' ? 1 : Number(protocol[1]);
  const expected = 1 + Number(req.stdin) + Number(req.stdout) + Number(req.stderr && !req.tty) + Number(req.tty && version >= 3);
  return new Promise((resolve, reject) => {
    const got: Partial<Record<string, SpdyStream>> = {};
    let count = 0;
    const timer = setTimeout(() => done(new Error('timed out waiting for client to create streams')), timeoutMs);
    const onClose = () => done(new Error('the client went before creating its streams'));
    const onStream = (s: SpdyStream) => {
      s.reply();
      const type = s.headers.streamtype ?? '';
      const known = type === 'error' || type === 'stdin' || type === 'stdout' || type === 'stderr' || (type === 'resize' && version >= 3);
      if (!known || got[type]) return void s.reset();
      got[type] = s;
      if (++count === expected) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
      if (err) return reject(err);
      if (!got.error) return reject(new Error('the client created no error stream'));
      // v1 has no stdin: the kubelet closes it.
      if (version === 1) got.stdin?.end();
      resolve({
        stdin: version === 1 ? undefined : got.stdin,
        stdout: got.stdout,
        stderr: got.stderr,
        resize: got.resize,
        error: got.error!,
        jsonStatus: version >= 4,
      });
    };
    session.on('stream', onStream);
    session.once('close', onClose);
  });
}
