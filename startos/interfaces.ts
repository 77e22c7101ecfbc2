// Owns the network interfaces: the dashboard (and the REST API it shares) on port 9999.
import { sdk } from './sdk'

export const uiPort = 9999

export const setInterfaces = sdk.setupInterfaces(async ({ effects }) => {
  const host = sdk.MultiHost.of(effects, 'main')
  const origin = await host.bindPort(uiPort, { protocol: 'http' })
  const ui = sdk.createInterface(effects, {
    name: 'Dashboard',
    id: 'ui',
    description: 'The Spark Control dashboard; its REST API is served on the same address.',
    type: 'ui',
    masked: false,
    schemeOverride: null,
    username: null,
    path: '',
    query: {},
  })
  return [await origin.export([ui])]
})
