import * as grpc from '@grpc/grpc-js';
import { loadCriProto } from '../cri/proto';

// The baseline for `make bench`: plain grpc-js answering Version with a
// constant on its own unix socket, with none of fakecri behind it.
const socket = process.argv[2];
const server = new grpc.Server();
const response = { version: '0.1.0', runtime_name: 'baseline', runtime_version: '0', runtime_api_version: 'v1' };
server.addService(loadCriProto().runtime.v1.RuntimeService.service, {
  Version: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, response),
});
server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => server.forceShutdown());
