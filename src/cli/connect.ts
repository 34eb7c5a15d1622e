// Turns a verb's connection flags into a client and the namespace to work in.

import type { ParsedArgs } from './args.ts'
import { ApiClient } from './client.ts'
import type { ResolvedIO } from './io.ts'
import { loadConnection } from './kubeconfig.ts'

export interface Target {
  client: ApiClient
  /** `-n`, else the kubeconfig context's namespace, else `default`. */
  namespace: string
  /** True when the user passed `-n`. */
  namespaceExplicit: boolean
}

export function connect (args: ParsedArgs, io: ResolvedIO): Target {
  const conn = loadConnection({
    kubeconfig: args.string('kubeconfig'),
    context: args.string('context'),
    dataDir: args.string('data-dir'),
    server: args.string('server'),
    token: args.string('token')
  }, io)
  const flag = args.string('namespace')
  return {
    client: new ApiClient(conn),
    namespace: flag ?? conn.namespace ?? 'default',
    namespaceExplicit: flag !== undefined
  }
}
