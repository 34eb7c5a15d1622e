// Named errors of the Raft library. Each says when it is thrown and what the caller can do.

/** Thrown by propose/readIndex on a node that is not the leader; `leader` is a hint where to go. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError'
  constructor (readonly leader: string | null, message?: string) {
    super(message ?? (leader === null
      ? 'No leader is known right now: retry shortly, an election is under way'
      : `This node is not the leader: send the request to ${leader}`))
  }
}

/** Thrown when a proposal was accepted but leadership was lost before it committed; it may or may not commit later. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError'
  constructor (message = 'Leadership was lost before the proposal committed: retry it with the same id') {
    super(message)
  }
}

/** Thrown when the proposal queue is full: the caller should back off and retry. */
export class ProposalQueueFullError extends Error {
  override readonly name = 'ProposalQueueFullError'
  constructor (message = 'Too many proposals are waiting to commit: back off and retry') {
    super(message)
  }
}

/** Thrown while a leadership transfer is in progress: proposals are refused until it ends. */
export class TransferInProgressError extends Error {
  override readonly name = 'TransferInProgressError'
  constructor (message = 'Leadership is being transferred: retry against the new leader') {
    super(message)
  }
}

/** Thrown when a membership change is proposed while another one has not been applied yet. */
export class ConfChangeInProgressError extends Error {
  override readonly name = 'ConfChangeInProgressError'
  constructor (message = 'Another membership change is still pending: wait for it to commit, then retry') {
    super(message)
  }
}

/** Thrown for a membership change that makes no sense (removing the last voter, promoting a stranger). */
export class InvalidConfChangeError extends Error {
  override readonly name = 'InvalidConfChangeError'
}

/** Thrown by a LogStore when the log on disk is damaged somewhere other than its unacknowledged tail. */
export class CorruptLogError extends Error {
  override readonly name = 'CorruptLogError'
}

/** Thrown by the level LogStore when another process holds the data dir. */
export class LogLockedError extends Error {
  override readonly name = 'LogLockedError'
}

/** Thrown by the driver for calls after stop(). */
export class StoppedError extends Error {
  override readonly name = 'StoppedError'
  constructor (message = 'The Raft node is stopped') {
    super(message)
  }
}

/** Thrown when a wait (a proposal, a read) is aborted by its AbortSignal or timed out. */
export class RaftTimeoutError extends Error {
  override readonly name = 'RaftTimeoutError'
  constructor (message = 'The request did not complete in time: the cluster may have no quorum') {
    super(message)
  }
}

/** Thrown by transferLeadership for a target that is not a voter of the cluster. */
export class TransferTargetError extends Error {
  override readonly name = 'TransferTargetError'
}

/** Thrown by LogStore.readSnapshot for a snapshot that a newer one has replaced: send from the newer one. */
export class SnapshotGoneError extends Error {
  override readonly name = 'SnapshotGoneError'
  constructor (readonly index: number, readonly current: number | null) {
    super(`The snapshot at index ${index} is no longer stored (${current === null ? 'none is' : `the one at ${current} is`}): send the current one instead`)
  }
}
