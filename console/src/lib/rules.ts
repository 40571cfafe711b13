import type { FormItemRule } from 'element-plus'

// Form rules shared by the pages: the same checks the API makes, so staff see the mistake before sending. The API
// stays the judge (its 422 answers are shown next to the field they name).

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK = '10X98765432'

/** GB 11643: an 18-character citizen ID number with its check character. */
export function isValidIdNumber(value: string): boolean {
  const text = value.trim().toUpperCase()
  if (!/^\d{17}[\dX]$/.test(text)) return false
  const sum = ID_WEIGHTS.reduce((total, weight, index) => total + weight * Number(text[index]), 0)
  return ID_CHECK[sum % 11] === text[17]
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
    if (value && !isValidIdNumber(value)) callback(new Error('身份证号码格式或校验位不正确'))
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
