import { describe, expect, it } from 'vitest'
import { isValidIdNumber, passwordProblem } from '@/lib/rules'

describe('form rules', () => {
  it('check the ID number check character (GB 11643)', () => {
    expect(isValidIdNumber('11010519491231002X')).toBe(true)
    expect(isValidIdNumber('11010519491231002x')).toBe(true)
    expect(isValidIdNumber('110105194912310021')).toBe(false) // wrong check character
    expect(isValidIdNumber('110105491231002')).toBe(false) // 15 digits: the API upgrades, the form asks for 18
    expect(isValidIdNumber('')).toBe(false)
  })

  it('ask what the API asks of a password', () => {
    expect(passwordProblem('short1')).toBe('密码至少10位')
    expect(passwordProblem('onlyletters')).toBe('密码须同时包含字母和数字')
    expect(passwordProblem('1234567890')).toBe('密码须同时包含字母和数字')
    expect(passwordProblem('Sjz2026abcd')).toBeNull()
  })
})
