// Owns the running service: the spark-control daemon and its health check.
import { clusterYaml } from './fileModels/cluster.yaml'
import { uiPort } from './interfaces'
import { sdk } from './sdk'

export const main = sdk.setupMain(async ({ effects }) => {
  // The server reads cluster.yaml only at start-up: reading it with const() restarts the
  // service whenever the "Configure Sparks" action rewrites it. Without the file the server
  // runs its simulated cluster.
  await clusterYaml.read().const(effects)

  const mounts = sdk.Mounts.of().mountVolume({
    volumeId: 'main',
    subpath: null,
    mountpoint: '/data',
    readonly: false,
  })

  return sdk.Daemons.of(effects).addDaemon('primary', {
    subcontainer: sdk.SubContainer.of(effects, { imageId: 'main' }, mounts, 'spark-control'),
    exec: {
      command: ['/app/spark-control'],
      env: {
        DATA_DIR: '/data',
        BIND_PORT: String(uiPort),
        LEPTOS_SITE_ROOT: '/app/site',
        // the catalog shipped in the image (Dockerfile)
        MODELS_YAML: '/app/models.yaml',
      },
    },
    ready: {
      display: 'Dashboard',
      fn: () =>
        sdk.healthCheck.checkWebUrl(effects, `http://127.0.0.1:${uiPort}/health`, {
          timeout: 2000,
          successMessage: 'The dashboard and API are ready',
          errorMessage: 'The server does not answer on /health',
        }),
    },
    requires: [],
  })
})
