// Owns backup and restore: the whole 'main' volume (cluster.yaml, the controller's SSH key pair,
// known_hosts and the server's other state).
import { sdk } from './sdk'

export const { createBackup, restoreInit } = sdk.setupBackups(async () =>
  sdk.Backups.ofVolumes('main'),
)
