// How an agent process is started: the Node options and environment every launcher gives it
// (`flotilla up`, the benchmarks, the e2e harness; bin/flotilla.js re-executes an agent
// started by hand with the same). The values live in bin/agent-launch.js, which says why each
// is there: bin/flotilla.js needs them before anything is compiled.

import { AGENT_ENV, AGENT_NODE_ARGS } from '../../bin/agent-launch.js'

export { AGENT_ENV, AGENT_NODE_ARGS }

/** `base` plus AGENT_ENV, for spawning an agent. */
export function agentEnv (base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...AGENT_ENV, ...base }
}

/**
 * Set to a launcher's pid in an agent's environment: the agent stops (as on SIGTERM) once its
 * parent is no longer that process. `flotilla up` sets it for the agents it starts, and
 * bin/flotilla.js for the agent it re-executes.
 */
export const STOP_WITH_PARENT_ENV = 'FLOTILLA_STOP_WITH_PARENT'
