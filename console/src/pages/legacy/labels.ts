// Shared by the list and the report page of the legacy migration.
export { formatDateTime } from '@/lib/calendar'

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** The tag colour of a run's state. */
export function tagType(state: string): TagType {
  if (state === 'imported') return 'success'
  if (state === 'failed') return 'danger'
  if (state === 'validated') return 'warning'
  return 'primary'
}
