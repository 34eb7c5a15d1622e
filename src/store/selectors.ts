// Selectors as list and watch use them: ListOptions compiled once into a predicate over
// objects. The parsers and matchers themselves live in label-selector.ts and
// field-selector.ts; SelectorError (400) in selector-error.ts. This file is the entry point
// the API and the store import.

import { matchesFields, parseFieldSelector, type FieldRequirement } from './field-selector.ts'
import { matchesLabels, parseLabelSelector, type LabelRequirement } from './label-selector.ts'
import type { KObject, ListOptions } from './types.ts'

export { SelectorError } from './selector-error.ts'
export {
  parseLabelSelector, matchesLabels, labelSelectorRequirements, selectorMatches, formatLabelSelector,
  type LabelOperator, type LabelRequirement, type LabelSelector, type LabelSelectorRequirement
} from './label-selector.ts'
export { parseFieldSelector, matchesFields, fieldValue, type FieldRequirement } from './field-selector.ts'

/** Parsed list options; `matches` is the AND of both selectors. */
export interface CompiledSelectors {
  labels: LabelRequirement[]
  fields: FieldRequirement[]
  /** True when neither selector restricts anything. */
  everything: boolean
  matches: (obj: KObject) => boolean
}

/** Parse both selectors of `opts` (throws SelectorError) into one predicate. */
export function compileSelectors (opts: ListOptions = {}): CompiledSelectors {
  const labels = parseLabelSelector(opts.labelSelector ?? '')
  const fields = parseFieldSelector(opts.fieldSelector ?? '')
  const everything = labels.length === 0 && fields.length === 0
  return {
    labels,
    fields,
    everything,
    matches: everything
      ? () => true
      : (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj)
  }
}
