// Owns what runs on install, update, restore and boot (init) and on uninstall or update (uninit).
import { actions } from '../actions'
import { configureSparks } from '../actions/configureSparks'
import { restoreInit } from '../backups'
import { setInterfaces } from '../interfaces'
import { sdk } from '../sdk'
import { versionGraph } from '../versions'

// On a fresh install, ask the owner to point the controller at the Sparks. Until then the
// server runs its simulated cluster, so this is important rather than critical.
const askForSparks = sdk.setupOnInit(async (effects, kind) => {
  if (kind !== 'install') return
  await sdk.action.createOwnTask(effects, configureSparks, 'important', {
    reason: 'Enter the IPv4 address and SSH user of each Spark; until then Spark Control shows a simulated cluster.',
  })
})

export const init = sdk.setupInit(restoreInit, versionGraph, setInterfaces, actions, askForSparks)

export const uninit = sdk.setupUninit(versionGraph)
