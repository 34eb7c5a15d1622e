// The subresources that switch protocols and the modules that serve them once switched.

import { portForwardUpgrade } from './port-forward.ts'
import type { UpgradeHandlers } from './upgrade.ts'

export const UPGRADE_HANDLERS: UpgradeHandlers = {
  portforward: portForwardUpgrade
}
