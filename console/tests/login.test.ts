import { describe, expect, it } from 'vitest'
import { loginNotice } from '@/lib/login'

describe('what the login tells the account owner', () => {
  it('says nothing when nothing happened', () => {
    expect(loginNotice({ failed_attempts_since_last_login: 0, locked_since_last_login: false })).toBeNull()
    expect(loginNotice({})).toBeNull()
  })

  it('names the failed attempts and a lock-out since the last login', () => {
    expect(loginNotice({ failed_attempts_since_last_login: 3 })).toBe(
      '上次登录后有 3 次失败的登录尝试。如非本人操作，请立即修改密码并联系安全管理员。',
    )
    expect(loginNotice({ failed_attempts_since_last_login: 5, locked_since_last_login: true })).toContain(
      '曾因多次密码错误被锁定；上次登录后有 5 次失败的登录尝试',
    )
  })
})
