// The data dictionary's code tables (1.4) the retiree pages show and offer: loaded once per session, labels looked
// up by category and code (a code the dictionary lacks is shown as it is).

import { reactive } from 'vue'
import { api, type Schemas, unwrap } from '@/api/client'

type Code = Schemas['CodeView']

const tables = reactive<Record<string, Code[]>>({})
let loading: Promise<void> | null = null

function load(): Promise<void> {
  loading ??= unwrap(api.GET('/api/v1/dictionary/codes', {}))
    .then((codes) => {
      for (const code of codes) (tables[code.category] ??= []).push(code)
      for (const list of Object.values(tables)) list.sort((a, b) => a.sort_order - b.sort_order)
    })
    .catch(() => {
      loading = null // tried again by the next page; the pages still show the raw codes meanwhile
    })
  return loading
}

export function useCodes() {
  void load()
  return {
    /** The Chinese label of a code, or the code itself. */
    label(category: string, code: string | null | undefined): string {
      if (!code) return ''
      return tables[category]?.find((c) => c.code === code)?.label ?? code
    },
    /** The active codes of a category, in the dictionary's order, for a select. */
    options(category: string): { value: string; label: string }[] {
      return (tables[category] ?? []).filter((c) => c.active).map((c) => ({ value: c.code, label: c.label }))
    },
  }
}

/** The tag colour of a retiree status. */
export function statusTagType(status: string): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  if (status === 'registered') return 'success'
  if (status === 'suspended') return 'danger'
  if (status === 'deceased' || status === 'moved_away') return 'info'
  if (status === 'transferring_out') return 'warning'
  return 'primary'
}
