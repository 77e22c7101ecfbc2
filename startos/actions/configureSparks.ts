// Owns the "Configure Sparks" action: the IPv4 address and SSH user of Spark 1 and Spark 2,
// written to cluster.yaml with the services each node runs.
import { ClusterNode, clusterYaml } from '../fileModels/cluster.yaml'
import { sdk } from '../sdk'

const { InputSpec, Value } = sdk

// A dotted quad without leading zeros: exactly what the server's IPv4 parser accepts. (The SDK's
// own patterns.ipv4 also lets through leading zeros, which the server would then refuse.)
const octet = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
const ipv4 = {
  regex: `^${octet}(\\.${octet}){3}$`,
  description: 'Must be an IPv4 address: four numbers from 0 to 255 separated by dots.',
}
// The server's rule for SSH user names.
const sshUser = {
  regex: '^[a-z_][a-z0-9_.-]{0,31}$',
  description:
    'Lowercase letters, digits, "_", "-" and "."; starting with a letter or "_"; at most 32 characters.',
}

const nodeSpec = (n: 1 | 2, runs: string) =>
  Value.object(
    { name: `Spark ${n}`, description: `The node that runs ${runs}.` },
    InputSpec.of({
      host: Value.text({
        name: 'IPv4 address',
        description:
          'The IPv4 address of the Spark on your LAN. Host names are refused, .local names included: they resolve IPv6-first, which makes SSH and HTTP clients hang.',
        required: true,
        default: null,
        placeholder: `<spark-${n}-ip>`,
        patterns: [ipv4],
      }),
      user: Value.text({
        name: 'SSH user',
        description:
          'The account Spark Control logs in as. Its ~/.ssh/authorized_keys must hold the controller key (action "Show SSH public key").',
        required: true,
        default: null,
        placeholder: '<ssh-user>',
        patterns: [sshUser],
      }),
    }),
  )

const inputSpec = InputSpec.of({
  spark1: nodeSpec(1, 'vLLM'),
  spark2: nodeSpec(2, 'the speech services, Parakeet and Kokoro'),
})

type NodeInput = { host: string; user: string }

// The form's patterns are checked by the UI only, so the values are checked again here.
function checked(label: string, { host, user }: NodeInput) {
  host = host.trim()
  user = user.trim()
  if (!new RegExp(ipv4.regex).test(host)) {
    throw new Error(`${label}: "${host}" is not an IPv4 address; .local and other host names are refused`)
  }
  if (!new RegExp(sshUser.regex).test(user)) {
    throw new Error(`${label}: "${user}" is not a valid SSH user name`)
  }
  return { host, user }
}

function clusterNode(name: string, input: NodeInput, services: Record<string, number>): ClusterNode {
  return { name, ...input, ssh_port: 22, services }
}

export const configureSparks = sdk.Action.withInput(
  'configure-sparks',

  {
    name: 'Configure Sparks',
    description:
      'Set the IPv4 address and SSH user of each DGX Spark. Writes cluster.yaml in the data volume (replacing any hand edits) and restarts Spark Control if it is running. Without it, Spark Control shows a simulated cluster.',
    warning: null,
    allowedStatuses: 'any',
    group: null,
    visibility: 'enabled',
  },

  inputSpec,

  // Prefill from the current file, if any; a file the form cannot read leaves the form empty.
  async () => {
    const nodes = await clusterYaml
      .read((c) => c.nodes)
      .once()
      .catch(() => null)
    const find = (name: string) => {
      const node = nodes?.find((n) => n.name === name)
      return node && { host: node.host, user: node.user }
    }
    return { spark1: find('spark-1'), spark2: find('spark-2') }
  },

  async ({ effects, input }) => {
    await clusterYaml.write(effects, {
      nodes: [
        clusterNode('spark-1', checked('Spark 1', input.spark1), { vllm: 8888 }),
        clusterNode('spark-2', checked('Spark 2', input.spark2), { parakeet: 8000, kokoro: 8880 }),
      ],
    })
    return {
      version: '1',
      title: 'Sparks configured',
      message:
        'Saved. Spark Control restarts with these nodes if it is running. Each Spark must accept the controller key: see "Show SSH public key".',
      result: null,
    }
  },
)
