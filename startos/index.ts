// Plumbing: the exports StartOS expects from a package (main, init, uninit, backups, actions,
// and the manifest with the version graph merged in).
import { buildManifest } from '@start9labs/start-sdk'
import { manifest as sdkManifest } from './manifest'
import { versionGraph } from './versions'

export { actions } from './actions'
export { createBackup } from './backups'
export { init, uninit } from './init'
export { main } from './main'

export const manifest = buildManifest(versionGraph, sdkManifest)
