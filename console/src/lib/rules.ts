import type { FormItemRule } from 'element-plus'

// Form rules shared by the pages: the same checks the API makes, so staff see the mistake before sending. The API
// stays the judge (its 422 answers are shown next to the field they name).

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK = '10X98765432'
// GB/T 2260 provinces: the first two digits of every area code. The whole table (about 6,900 county codes, abolished
// ones included) stays on the server (python-stdnum), whose ID_AREA_CODE answer is shown next to the field; this
// small list catches 000000 or 999999 before sending. tests/unit/test_idnumber.py keeps it equal to the server's.
const ID_PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42',
  '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82',
])

/** What is wrong with an 18-character citizen ID number (GB 11643), or null when nothing the form can see. */
export function idNumberProblem(value: string): string | null {
  const text = value.trim().toUpperCase()
  if (!/^\d{17}[\dX]$/.test(text)) return '身份证号码应为18位数字（最后一位可为X）'
  if (!ID_PROVINCES.has(text.slice(0, 2))) return `身份证号码前六位 ${text.slice(0, 6)} 不是有效的行政区划代码`
  const sum = ID_WEIGHTS.reduce((total, weight, index) => total + weight * Number(text[index]), 0)
  if (ID_CHECK[sum % 11] !== text[17]) return `身份证号码校验位错误：应为 ${ID_CHECK[sum % 11]}，实为 ${text[17]}`
  return null
}

/** GB 11643: an 18-character citizen ID number of a known province with its check character. */
export function isValidIdNumber(value: string): boolean {
  return idNumberProblem(value) === null
}

export const MIN_PASSWORD_LENGTH = 10

/** The password rule of the API (channels/security.py): 10 characters or more, letters and digits both. */
export function passwordProblem(value: string): string | null {
  if (value.length < MIN_PASSWORD_LENGTH) return `密码至少${MIN_PASSWORD_LENGTH}位`
  if (!/[A-Za-z]/.test(value) || !/\d/.test(value)) return '密码须同时包含字母和数字'
  return null
}

export function required(label: string): FormItemRule {
  return { required: true, message: `请输入${label}`, trigger: 'blur' }
}

export const idNumberRule: FormItemRule = {
  trigger: 'blur',
  validator: (_rule, value: string, callback) => {
    const problem = value ? idNumberProblem(value) : null
    if (problem) callback(new Error(problem))
    else callback()
  },
}

export const passwordRule: FormItemRule = {
  trigger: 'blur',
  validator: (_rule, value: string, callback) => {
    const problem = value ? passwordProblem(value) : '请输入新密码'
    if (problem) callback(new Error(problem))
    else callback()
  },
}
