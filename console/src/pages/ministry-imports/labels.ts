// Shared by the list and the detail page of the ministry imports.
export { formatDateTime } from '@/lib/calendar'

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** An import's states, as domain/ministry_imports/models.py ``ImportState`` names them (the API sends a string). */
export type ImportState = 'uploaded' | 'staging' | 'staged' | 'committing' | 'committed' | 'failed' | 'abandoned'

/** The tag colour of every state: a state missing here fails to type-check. */
export const STATE_TAGS: Record<ImportState, TagType> = {
  uploaded: 'primary',
  staging: 'primary',
  staged: 'warning',
  committing: 'primary',
  committed: 'success',
  failed: 'danger',
  abandoned: 'info',
}

/** The tag colour of an import's state; a state this console does not know yet shows as an ordinary tag. */
export function tagType(state: string): TagType {
  return STATE_TAGS[state as ImportState] ?? 'primary'
}
