// The Kubernetes-compatible HTTP API: re-exports only.

export type { ApiBackend } from './backend.ts'
export { ApiServer, createApiServer, type ApiServerOptions } from './server.ts'
export { ApiError, type Status } from './status.ts'
