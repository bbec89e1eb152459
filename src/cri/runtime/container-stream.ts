import { invalidArgument } from '../../domain/errors';
import type { Handler } from '../handler';
import { checkCommand, requireId } from '../validate';
import type { AttachRequest__Output } from '../../generated/runtime/v1/AttachRequest';
import type { AttachResponse } from '../../generated/runtime/v1/AttachResponse';
import type { ExecRequest__Output } from '../../generated/runtime/v1/ExecRequest';
import type { ExecResponse } from '../../generated/runtime/v1/ExecResponse';

// Exec and Attach answer a one-time URL on fakecri's streaming server,
// where the client (the kubelet's proxy, crictl) then speaks SPDY or
// WebSocket. The checks are the kubelet streaming server's, then
// containerd's (the container must be running).

function checkStreams(req: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): void {
  if (req.tty && req.stderr) throw invalidArgument('tty and stderr cannot both be true');
  if (!req.stdin && !req.stdout && !req.stderr) throw invalidArgument('one of stdin, stdout, or stderr must be set');
}

export const exec: Handler<ExecRequest__Output, ExecResponse> = (app, req) => {
  const id = requireId(req.container_id, 'container_id');
  checkStreams(req);
  checkCommand(req.cmd, 'cmd');
  const c = app.streams.runningContainer(app.containers.store.mustResolve(id).id);
  const token = app.streams.requests.insert({ kind: 'exec', containerId: c.id, cmd: [...req.cmd], stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, tty: req.tty });
  return { url: app.streams.url('exec', token) };
};

export const attach: Handler<AttachRequest__Output, AttachResponse> = (app, req) => {
  const id = requireId(req.container_id, 'container_id');
  checkStreams(req);
  const c = app.streams.runningContainer(app.containers.store.mustResolve(id).id);
  const token = app.streams.requests.insert({ kind: 'attach', containerId: c.id, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, tty: req.tty });
  return { url: app.streams.url('attach', token) };
};
