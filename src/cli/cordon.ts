// `flotilla cordon NODE` and `flotilla uncordon NODE`: mark a node unschedulable (new pods go
// elsewhere; pods on it keep running) or schedulable again, through spec.unschedulable.
// Prints `node/NAME cordoned` (or `already cordoned`) as kubectl does.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { connect } from './connect.ts'
import { UsageError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import type { VerbModule } from './main.ts'
import { setUnschedulable } from './node-drain.ts'

const FLAGS: FlagSpec[] = [...CONNECTION_FLAGS, HELP_FLAG]

function verb (name: 'cordon' | 'uncordon'): VerbModule {
  const unschedulable = name === 'cordon'
  return {
    help: formatHelp({
      summary: unschedulable
        ? 'Mark a node as unschedulable: new pods are not placed on it; pods already there keep running.'
        : 'Mark a node as schedulable again.',
      usage: [`flotilla ${name} NODE... [flags]`],
      examples: [`flotilla ${name} node-b`],
      flags: FLAGS
    }),
    run: async (argv: string[], io: ResolvedIO): Promise<number> => {
      const args = parseArgs(argv, FLAGS, name)
      if (args.positionals.length === 0) throw new UsageError(`a node name is required: "flotilla ${name} NODE"`, name)
      const { client } = connect(args, io)
      const nodes = await client.discovery.resolve('nodes')
      for (const node of args.positionals) {
        const changed = await setUnschedulable(client, nodes, node, unschedulable)
        writeLine(io.stdout, `node/${node} ${changed ? '' : 'already '}${name}ed`)
      }
      return 0
    }
  }
}

export const cordon = verb('cordon')
export const uncordon = verb('uncordon')
