// Owns the static manifest: package id, descriptions, the container image and the one volume.
// The version comes from versions/; index.ts merges both with buildManifest.
import { setupManifest } from '@start9labs/start-sdk'

export const manifest = setupManifest({
  id: 'spark-control',
  title: 'Spark Control',
  license: 'MIT',
  // Placeholders: set these to the project's real repository and site before publishing.
  packageRepo: 'https://example.invalid/spark-control',
  upstreamRepo: 'https://example.invalid/spark-control',
  marketingUrl: 'https://example.invalid/spark-control',
  donationUrl: null,
  description: {
    short: 'Dashboard and LAN API gateway for a pair of NVIDIA DGX Spark nodes',
    long: 'Spark Control watches and drives a small GPU cluster of two NVIDIA DGX Spark nodes over SSH: node and model health, the vLLM, Parakeet and Kokoro services, and one LAN API in front of them. With no node configured it runs a simulated cluster, so the dashboard can be tried before any Spark is attached.',
  },
  volumes: ['main'],
  images: {
    // Built locally from the project's Dockerfile. Paths are relative to the directory where
    // `start-cli s9pk pack` runs, which is this startos/ directory: the build context is the
    // repository root. The image provides /app/spark-control and the site assets in /app/site.
    main: {
      source: { dockerBuild: { workdir: '..', dockerfile: '../Dockerfile' } },
      arch: ['x86_64', 'aarch64'],
    },
  },
  dependencies: {},
})
