// Who is logged in: the token (kept in sessionStorage, so a reload keeps the session and closing the tab ends it),
// the caller's profile from /auth/me (role, institution, query scope, permissions), and the session's end.

import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, type ApiError, type Schemas, unwrap } from '@/api/client'

const TOKEN_KEY = 'retiree-hub.token'
const NOTICE_KEY = 'retiree-hub.notice'

export type Me = Schemas['Me']
export type Permission =
  | 'registry.read'
  | 'registry.change'
  | 'institutions.manage'
  | 'accounts.manage'
  | 'roles.grant'
  | 'dictionary.manage'
  | 'dictionary.read'
  | 'audit.read'

export const useSession = defineStore('session', () => {
  const token = ref<string | null>(sessionStorage.getItem(TOKEN_KEY))
  const me = ref<Me | null>(null)
  /** Why the last session ended, shown once on the login page (e.g. 登录已过期，请重新登录). */
  const notice = ref<string | null>(sessionStorage.getItem(NOTICE_KEY))

  const loggedIn = computed(() => token.value !== null)
  const mustChangePassword = computed(() => me.value?.password_change_required === true)

  function can(permission: Permission): boolean {
    return me.value?.permissions.includes(permission) ?? false
  }

  function remember(value: string | null): void {
    token.value = value
    if (value) sessionStorage.setItem(TOKEN_KEY, value)
    else sessionStorage.removeItem(TOKEN_KEY)
  }

  function tell(message: string | null): void {
    notice.value = message
    if (message) sessionStorage.setItem(NOTICE_KEY, message)
    else sessionStorage.removeItem(NOTICE_KEY)
  }

  async function login(username: string, password: string): Promise<Schemas['Token']> {
    const answer = await unwrap(api.POST('/api/v1/auth/login', { body: { username, password } }))
    remember(answer.access_token)
    tell(null)
    await loadMe()
    return answer
  }

  async function loadMe(): Promise<Me> {
    me.value = await unwrap(api.GET('/api/v1/auth/me'))
    return me.value
  }

  async function logout(): Promise<void> {
    if (token.value) {
      try {
        await api.POST('/api/v1/auth/logout')
      } finally {
        forget()
      }
    }
  }

  /** The API said the token is no good (expired, revoked, account disabled): forget it and say why. */
  function expire(error: ApiError): void {
    forget()
    tell(error.message)
  }

  function forget(): void {
    remember(null)
    me.value = null
  }

  return { token, me, notice, loggedIn, mustChangePassword, can, login, loadMe, logout, expire, forget, tell }
})
