// Making a cluster's Service range local to this machine, so that the proxy can listen on any
// cluster IP and pods reach it: one "local" route for the whole range on the loopback device
// (`ip route replace local CIDR dev lo`, what Linux calls AnyIP). Pods send to a cluster IP
// through their bridge gateway; the route delivers it to whichever agent on this machine
// listens there. Needs root (CAP_NET_ADMIN) and iproute2; without them cluster IPs cannot
// work on this node and the error says so. Agents sharing a machine share the route; it stays
// after an agent stops (another may still use it), and `removeClusterIPRoute` takes it away.

import { execFile } from 'node:child_process'

/** The range could not be made local: cluster IPs do not work on this node. */
export class ClusterIPRouteError extends Error {
  override readonly name = 'ClusterIPRouteError'
}

async function ip (args: readonly string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('ip', [...args], { timeout: 5000 }, (err, _stdout, stderr) => {
      if (err === null) { resolve(); return }
      const code = (err as NodeJS.ErrnoException).code
      const reason = code === 'ENOENT' ? 'the `ip` command (iproute2) is not installed: apt-get install -y iproute2' : stderr.trim() || err.message
      reject(new ClusterIPRouteError(reason))
    })
  })
}

/** Route every address of `cidr` to this machine. Idempotent. */
export async function ensureClusterIPRoute (cidr: string): Promise<void> {
  try {
    await ip(['route', 'replace', 'local', cidr, 'dev', 'lo'])
  } catch (err) {
    const why = (err as Error).message
    const hint = /Operation not permitted|RTNETLINK answers: Permission denied/i.test(why) ? ' (run the agent as root, or with CAP_NET_ADMIN)' : ''
    throw new ClusterIPRouteError(`cannot route the Service range ${cidr} to this machine: ${why}${hint}; ClusterIP Services are not reachable through this node (NodePorts still are)`)
  }
}

/** Remove the route again (tests, uninstall). Quiet when it is not there. */
export async function removeClusterIPRoute (cidr: string): Promise<void> {
  await ip(['route', 'del', 'local', cidr, 'dev', 'lo']).catch(() => {})
}
