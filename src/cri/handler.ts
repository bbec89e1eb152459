import type { App } from '../app';

// What every RPC handler looks like: validate the request, call the core,
// convert the answer. `signal` aborts when the caller cancels or its deadline
// passes, for handlers that wait.
export interface CallContext {
  method: string;
  signal: AbortSignal;
}

export type Handler<Req, Res> = (app: App, req: Req, ctx: CallContext) => Res | Promise<Res>;
