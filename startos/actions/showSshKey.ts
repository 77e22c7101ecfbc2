// Owns the "Show SSH public key" action: the controller's public key, to install on each Spark.
import { sdk } from '../sdk'

export const showSshKey = sdk.Action.withoutInput(
  'show-ssh-key',

  {
    name: 'Show SSH public key',
    description:
      'Show the public key Spark Control logs in to the Sparks with, and how to install it on each node.',
    warning: null,
    allowedStatuses: 'any',
    group: null,
    visibility: 'enabled',
  },

  async () => {
    // The server generates /data/id_ed25519(.pub) on its first start.
    const key = await sdk.volumes.main
      .readFile('id_ed25519.pub', 'utf8')
      .then((k) => k.toString().trim())
      .catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null
        throw e
      })
    if (!key) {
      return {
        version: '1',
        title: 'No key yet',
        message:
          'Spark Control creates its SSH key pair the first time it starts. Start the service, then run this action again.',
        result: null,
      }
    }
    return {
      version: '1',
      title: 'Controller SSH public key',
      message:
        'On each Spark, log in as the SSH user set in "Configure Sparks" and append this line to ~/.ssh/authorized_keys (directory ~/.ssh mode 700, file mode 600). Spark Control can then reach both nodes.',
      result: { type: 'single', value: key, copyable: true, qr: false, masked: false },
    }
  },
)
