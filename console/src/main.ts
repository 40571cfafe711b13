import 'element-plus/dist/index.css'
import './styles.css'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { useCredentials } from '@/api/client'
import App from '@/App.vue'
import { router } from '@/router'
import { useSession } from '@/stores/session'

const app = createApp(App)
app.use(createPinia())
app.use(ElementPlus, { locale: zhCn })

const session = useSession()
useCredentials({
  token: () => session.token,
  expired: (error) => {
    // The session ended under the user (expired, revoked, disabled): back to the login page with the reason, and
    // back to this page after logging in again.
    session.expire(error)
    const here = router.currentRoute.value
    if (here.name !== 'login') void router.push({ name: 'login', query: { redirect: here.fullPath } })
  },
})

app.use(router)
app.mount('#app')
