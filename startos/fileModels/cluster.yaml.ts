// Owns $DATA_DIR/cluster.yaml (/data/cluster.yaml in the container): the cluster file the server
// reads at start-up. The shape is no stricter than the server's own parser, so any file the
// server accepts also reads here.
import { FileHelper, z } from '@start9labs/start-sdk'
import { sdk } from '../sdk'

const node = z.object({
  name: z.string(),
  host: z.string(),
  user: z.string(),
  ssh_port: z.number().int().optional(),
  host_key: z.string().nullable().optional(),
  services: z.record(z.string(), z.number().int()).optional(),
})

export type ClusterNode = z.infer<typeof node>

export const clusterYaml = FileHelper.yaml(
  { base: sdk.volumes.main, subpath: 'cluster.yaml' },
  z.object({ nodes: z.array(node) }),
)
