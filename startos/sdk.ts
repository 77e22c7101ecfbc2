// The package's SDK instance: every other module takes its helpers from here, typed by the manifest.
import { StartSdk } from '@start9labs/start-sdk'
import { manifest } from './manifest'

export const sdk = StartSdk.of().withManifest(manifest).build(true)
