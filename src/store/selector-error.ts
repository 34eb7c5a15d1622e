// The error of a malformed label or field selector. The API returns it as 400 BadRequest.

/** Thrown by selector parsing (list, watch, structured selectors) when the syntax is wrong. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError'
  /** HTTP status the API answers with. */
  readonly code = 400
  readonly reason = 'BadRequest'
}
