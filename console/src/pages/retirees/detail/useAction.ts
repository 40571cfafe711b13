// A detail-page command's state: busy, the API's refusal (next to the field it names, else above the form) and
// the result shown once it is done.

import { reactive, ref } from 'vue'
import { ApiError } from '@/api/client'
import type { ActionResult } from './ActionDialog.vue'

export function useAction() {
  const busy = ref(false)
  const error = ref<string | null>(null)
  const fieldErrors = reactive<Record<string, string>>({})
  const result = ref<ActionResult | null>(null)

  async function run(call: () => Promise<ActionResult>): Promise<boolean> {
    busy.value = true
    error.value = null
    for (const key of Object.keys(fieldErrors)) delete fieldErrors[key]
    try {
      result.value = await call()
      return true
    } catch (failure) {
      if (failure instanceof ApiError && failure.field) fieldErrors[failure.field] = failure.message
      else error.value = failure instanceof ApiError ? failure.message : '办理失败，请稍后再试'
      return false
    } finally {
      busy.value = false
    }
  }

  function reset(): void {
    error.value = null
    result.value = null
    for (const key of Object.keys(fieldErrors)) delete fieldErrors[key]
  }

  return { busy, error, fieldErrors, result, run, reset }
}
