// The scheduler: filter and score plugins, and the leader role that binds pods to nodes.

export { Scheduler, schedulerRole, type SchedulerComponents, type SchedulerOptions } from './scheduler.ts'
export { scheduleOne, fitErrorMessage, type Placement } from './schedule-one.ts'
export { SchedulerCache } from './cache.ts'
