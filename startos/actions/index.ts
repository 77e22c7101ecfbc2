// Owns the list of actions offered in the StartOS UI, in display order.
import { sdk } from '../sdk'
import { configureSparks } from './configureSparks'
import { showSshKey } from './showSshKey'

export const actions = sdk.Actions.of().addAction(configureSparks).addAction(showSshKey)
