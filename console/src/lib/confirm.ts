import { ElMessageBox } from 'element-plus'

/** The confirmation every change asks for before it is sent: true when the user confirmed, false when they
 * cancelled or closed the box. The title and the button say what is being confirmed where it is not a plain change. */
export async function confirmed(message: string, title = '请确认', confirmText = '确定'): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, { confirmButtonText: confirmText, cancelButtonText: '取消', type: 'warning' })
    return true
  } catch {
    return false
  }
}
