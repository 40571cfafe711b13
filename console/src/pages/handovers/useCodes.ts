// The hand-over's typed codes (items of an archive, discrepancies, results, states) with their Chinese labels, read
// once from the API so the console never spells a label of its own.
import { ref } from 'vue'
import { api, type Schemas, unwrap } from '@/api/client'

type Codes = Schemas['HandoverCodes']
const codes = ref<Codes | null>(null)
let loading: Promise<void> | null = null

export function useHandoverCodes() {
  if (!codes.value && !loading) {
    loading = unwrap(api.GET('/api/v1/handovers/codes'))
      .then((answer) => {
        codes.value = answer
      })
      .catch(() => {
        loading = null
      })
  }
  return codes
}

export const STATE_TAGS: Record<string, 'info' | 'warning' | 'danger' | 'success'> = {
  drafted: 'info',
  submitted: 'warning',
  returned: 'danger',
  received: 'success',
}
