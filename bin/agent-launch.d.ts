// Types of bin/agent-launch.js (plain JavaScript: bin/flotilla.js reads it before anything is
// compiled), for src/agent/agent-launch.ts and the tests.

import type { ChildProcess } from 'node:child_process'

/** Node options for an agent process, before the script. */
export declare const AGENT_NODE_ARGS: readonly string[]
/** Environment variables an agent process starts with (a value already set in the environment wins). */
export declare const AGENT_ENV: Readonly<Record<string, string>>
/** Set in the environment of a re-executed agent: it never re-executes again. */
export declare const RELAUNCHED_ENV: string
/** Global flags that take a value (the same as src/cli/args.ts CONNECTION_FLAGS). */
export declare const VALUE_FLAGS: readonly string[]
/** Whether `argv` runs the agent verb without the launch settings in effect (defaults: this process's). */
export declare function needsAgentRelaunch (argv: readonly string[], execArgv?: readonly string[], env?: NodeJS.ProcessEnv): boolean
/** Run `script` with `args` in a new node with the launch settings; signals go to it, and this process exits as it does. */
export declare function relaunchAgent (script: string, args: readonly string[]): ChildProcess
