// One retiree's page: the full record (an audited view), where they stand on certification (with the sentence to
// read aloud) and their timeline, loaded together; a refusal outside the caller's scope is kept as `missing`.

import { ref } from 'vue'
import { api, ApiError, type Schemas, unwrap } from '@/api/client'

export type Detail = Schemas['RetireeDetail']
export type Standing = Schemas['CertificationView']
export type Timeline = Schemas['TimelineView']
export type TimelineEntry = Schemas['TimelineEntryView']

export function useRetiree(id: () => number) {
  const detail = ref<Detail | null>(null)
  const standing = ref<Standing | null>(null)
  const timeline = ref<Timeline | null>(null)
  const loading = ref(false)
  /** The API's message when the person does not exist or is outside the caller's scope (404). */
  const missing = ref<string | null>(null)
  const failure = ref<string | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    failure.value = null
    const path = { retiree_id: id() }
    try {
      const [d, s, t] = await Promise.all([
        unwrap(api.GET('/api/v1/retirees/{retiree_id}', { params: { path } })),
        unwrap(api.GET('/api/v1/retirees/{retiree_id}/certification', { params: { path } })),
        unwrap(api.GET('/api/v1/retirees/{retiree_id}/timeline', { params: { path } })),
      ])
      detail.value = d
      standing.value = s
      timeline.value = t
      missing.value = null
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) missing.value = error.message
      else failure.value = error instanceof ApiError ? error.message : '加载失败，请稍后再试'
    } finally {
      loading.value = false
    }
  }

  return { detail, standing, timeline, loading, missing, failure, load }
}
