import { watch } from 'vue'
import { useSession } from './session'

/** Run ``load`` again whenever the caller changes the query scope (1.3) in the header: every list and count of a
 * page is over that scope. Call from a page's setup. */
export function reloadOnScopeChange(load: () => unknown): void {
  const session = useSession()
  watch(
    () => session.me?.query_scope?.id,
    () => void load(),
  )
}
