// Shared by the list and the detail page of the ministry imports.
export { formatDateTime } from '@/lib/calendar'

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** The tag colour of an import's state. */
export function tagType(state: string): TagType {
  if (state === 'committed') return 'success'
  if (state === 'failed') return 'danger'
  if (state === 'staged') return 'warning'
  if (state === 'abandoned') return 'info'
  return 'primary'
}
