// What the login answer tells the account's owner (等保: the owner learns of attempts on their account).

export interface LoginFacts {
  failed_attempts_since_last_login?: number | null
  locked_since_last_login?: boolean | null
  last_login_at?: string | null
}

export function loginNotice(answer: LoginFacts): string | null {
  const parts: string[] = []
  if (answer.locked_since_last_login) parts.push('您的账号在上次登录后曾因多次密码错误被锁定')
  const failures = answer.failed_attempts_since_last_login ?? 0
  if (failures > 0) parts.push(`上次登录后有 ${failures} 次失败的登录尝试`)
  if (parts.length === 0) return null
  return `${parts.join('；')}。如非本人操作，请立即修改密码并联系安全管理员。`
}
