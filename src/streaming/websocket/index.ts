// The WebSocket sides of the streaming server: wsstream channels for
// exec/attach and port-forward, and the SPDY tunnel for port-forward.
export { remoteCommandChannels, type RemoteCommandChannels, type RemoteCommandOpen } from './remotecommand';
export { portForwardChannels, type PortForwardChannel } from './portforward';
export { parsePortQuery } from './ports';
export { tunnel } from './tunnel';
export type { ChannelConnOptions } from './conn';
export {
  REMOTE_COMMAND_PROTOCOLS,
  PORT_FORWARD_PROTOCOLS,
  TUNNEL_PROTOCOLS,
  SPDY_TUNNEL_PORT_FORWARD,
  negotiate,
  offeredProtocols,
  isBase64Protocol,
  supportsStreamClose,
  writesJsonStatus,
} from './protocols';
export { SEND_HIGH_WATER } from './send';
export { WebSocketUpgrader, refuseUpgrade, MAX_PAYLOAD } from './upgrade';
