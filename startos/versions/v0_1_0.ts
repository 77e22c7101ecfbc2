// Owns version 0.1.0:0, the first packaged release: its release notes and (no) migrations.
import { VersionInfo } from '@start9labs/start-sdk'

export const v0_1_0 = VersionInfo.of({
  version: '0.1.0:0',
  releaseNotes: 'First StartOS package of Spark Control.',
  migrations: {},
})
