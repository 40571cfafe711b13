import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router'
import MainLayout from '@/layouts/MainLayout.vue'
import { useSession } from '@/stores/session'
import { openToLevel } from './menu'
import { pageRoutes } from './pages'
import './meta'

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/pages/LoginPage.vue'), meta: { title: '登录', public: true } },
  {
    path: '/',
    component: MainLayout,
    children: [
      ...pageRoutes,
      {
        path: 'password',
        name: 'password',
        component: () => import('@/pages/PasswordPage.vue'),
        meta: { title: '修改密码' },
      },
      { path: 'forbidden', name: 'forbidden', component: () => import('@/pages/ForbiddenPage.vue'), meta: { title: '无权访问' } },
      { path: ':unknown(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

/** Where a guard sends the user: the login page (keeping where they were going), the forced password change, or
 * the forbidden page for a page their role may not open. */
export async function guard(to: RouteLocationNormalized): Promise<true | { name: string; query?: Record<string, string> }> {
  const session = useSession()
  if (to.meta.public) return true
  if (!session.loggedIn) return { name: 'login', query: { redirect: to.fullPath } }
  if (!session.me) {
    try {
      await session.loadMe()
    } catch {
      return { name: 'login', query: { redirect: to.fullPath } }
    }
  }
  if (session.mustChangePassword && to.name !== 'password') return { name: 'password', query: { redirect: to.fullPath } }
  const needed = to.meta.permissions
  if (needed && !needed.some((permission) => session.can(permission))) return { name: 'forbidden' }
  if (!openToLevel(to.meta, session.me?.institution.level ?? '')) return { name: 'forbidden' }
  return true
}

router.beforeEach(guard)
router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - 退休人员社会化管理服务系统` : '退休人员社会化管理服务系统'
})
