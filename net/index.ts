// The net layer's public surface: a libp2p host restricted to one cluster, the wire codec,
// the Raft message channel and rpc. It knows bytes, peers and protocol ids — nothing of Raft
// or Kubernetes. Re-exports only.

export { createHost, Host, type HandleOptions, type HostEvents, type HostOptions, type MdnsOptions, type StreamHost } from './host.ts'
export { loadOrCreateIdentity, peerIdOf } from './identity.ts'
export { compactClusterKey, generateClusterKey, parseClusterKey } from './cluster-key.ts'
export { describeAddress, listenMultiaddr, toMultiaddr } from './address.ts'
export { DEFAULT_MAX_FRAME_LENGTH, FrameDecoder, encodeFrames, type Chunk, type FrameCodecOptions } from './frames.ts'
export { FrameWriter, type FrameWriterOptions } from './frame-writer.ts'
export {
  MessageChannel, RAFT_PROTOCOL,
  type MessageChannelComponents, type MessageChannelOptions, type MessageChannelStats, type MessageHandler
} from './message-channel.ts'
export { Rpc, type RpcComponents, type RpcOptions } from './rpc.ts'
export type { RpcHandler, RpcStreamHandler } from './rpc-server.ts'
export { RPC_PROTOCOL, METHOD_NOT_FOUND } from './rpc-wire.ts'
export {
  FrameDecodeError, FrameTooLargeError, InvalidAddressError, InvalidClusterKeyError, InvalidIdentityError,
  NetStoppedError, NotInClusterError, PeerUnreachableError, RpcError, RpcTimeoutError
} from './errors.ts'
export type { PrivateKey, Stream } from '@libp2p/interface'
export { Tunnels, TUNNEL_PROTOCOL, type TunnelHandler, type TunnelsComponents, type TunnelsOptions } from './tunnel.ts'
