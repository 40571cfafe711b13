import type { Schemas } from '@/api/client'

/** A rule parameter's valid values in words: 1 至 24 的整数, or a list of codes. */
export function rangeOf(parameter: Schemas['ParameterView']): string {
  if (parameter.kind === 'code_list') return '以英文逗号分隔的编码'
  if (parameter.minimum !== null && parameter.maximum !== null) return `${parameter.minimum} 至 ${parameter.maximum} 的整数`
  return '非负整数'
}
