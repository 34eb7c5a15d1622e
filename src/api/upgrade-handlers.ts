// The subresources that switch protocols and the modules that serve them once switched.

import { attachUpgrade, execUpgrade } from './exec-stream.ts'
import { portForwardUpgrade } from './port-forward.ts'
import type { UpgradeHandlers } from './upgrade.ts'

export const UPGRADE_HANDLERS: UpgradeHandlers = {
  exec: execUpgrade,
  attach: attachUpgrade,
  portforward: portForwardUpgrade
}
