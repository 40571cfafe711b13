import { describe, expect, it } from 'vitest'
import { idNumberProblem, isValidIdNumber, passwordProblem } from '@/lib/rules'

describe('form rules', () => {
  it('check the ID number check character (GB 11643)', () => {
    expect(isValidIdNumber('11010519491231002X')).toBe(true)
    expect(isValidIdNumber('11010519491231002x')).toBe(true)
    expect(isValidIdNumber('110105194912310021')).toBe(false) // wrong check character
    expect(isValidIdNumber('110105491231002')).toBe(false) // 15 digits: the API upgrades, the form asks for 18
    expect(isValidIdNumber('')).toBe(false)
  })

  it('refuse an ID number of no province, naming the area code (the server checks all of GB/T 2260)', () => {
    expect(idNumberProblem('99999919580812123X')).toBe('身份证号码前六位 999999 不是有效的行政区划代码')
    expect(idNumberProblem('000000195808121230')).toBe('身份证号码前六位 000000 不是有效的行政区划代码')
    expect(idNumberProblem('110105194912310021')).toBe('身份证号码校验位错误：应为 X，实为 1')
    expect(idNumberProblem('1101051949')).toBe('身份证号码应为18位数字（最后一位可为X）')
    expect(idNumberProblem('110103194912310027')).toBeNull() // 110103 崇文区, abolished in 2010: the province is known
  })

  it('ask what the API asks of a password', () => {
    expect(passwordProblem('short1')).toBe('密码至少10位')
    expect(passwordProblem('onlyletters')).toBe('密码须同时包含字母和数字')
    expect(passwordProblem('1234567890')).toBe('密码须同时包含字母和数字')
    expect(passwordProblem('Sjz2026abcd')).toBeNull()
  })
})
