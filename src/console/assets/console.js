// The web console (DESIGN §9 /console): a tenant admin's view of members, API keys, webhooks, the
// audit log and usage, on the public API and nothing else. No build step and no framework: the
// page is plain DOM. Everything the API returns is written with textContent, never as HTML, and
// the CSP allows scripts from this origin only, so a name or URL a tenant stored cannot run here.

const SESSION_KEY = 'tenantry.session'
const $ = (selector, root = document) => root.querySelector(selector)

/** The signed-in session: token, user, tenant, permissions (sessionStorage: this tab only). */
let session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null')

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`)
    this.status = status
    this.code = problem.code
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' }
  if (session) headers.authorization = `Bearer ${session.token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const payload = response.status === 204 ? null : await response.json().catch(() => ({}))
  if (!response.ok) {
    if (response.status === 401 && session) signOut('Your session ended: sign in again.')
    throw new ApiError(response.status, payload ?? {})
  }
  return payload
}

function show(message, { error = false, secret } = {}) {
  const box = $('#message')
  box.replaceChildren(document.createTextNode(message))
  if (secret !== undefined) {
    const code = document.createElement('code')
    code.className = 'secret'
    code.textContent = secret
    box.append(code)
  }
  box.classList.toggle('error', error)
  box.hidden = false
}

const can = (permission) => session?.permissions.includes(permission) ?? false

/** One table row of text cells, plus an optional action button. */
function row(cells, action) {
  const tr = document.createElement('tr')
  for (const value of cells) {
    const td = document.createElement('td')
    td.textContent = value ?? '—'
    tr.append(td)
  }
  const td = document.createElement('td')
  if (action) {
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = action.label
    button.addEventListener('click', () => run(action.run))
    td.append(button)
  }
  tr.append(td)
  return tr
}

function fill(panel, rows) {
  $(`[data-panel="${panel}"] tbody`).replaceChildren(...rows)
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : null)

/** Runs an action, reporting its failure as the API's problem detail. */
async function run(action) {
  try {
    await action()
  } catch (error) {
    show(error instanceof ApiError ? `${error.message} (${error.code ?? error.status})` : String(error), { error: true })
  }
}

const panels = {
  async members() {
    const { data } = await api('GET', '/api/v1/members?limit=100')
    fill('members', data.map((m) => row([m.email, m.name, m.role, m.status], can('users:delete') && m.user_id !== session.user.id
      ? { label: 'Remove', run: async () => { await api('DELETE', `/api/v1/members/${m.user_id}`); show(`${m.email} removed.`); await panels.members() } }
      : undefined)))
  },
  async keys() {
    const { data } = await api('GET', '/api/v1/api-keys?limit=100')
    fill('keys', data.map((k) => row([k.name, k.prefix, k.role ?? k.permissions.join(', '), when(k.last_used_at)], can('api_keys:write') && !k.revoked_at
      ? { label: 'Revoke', run: async () => { await api('DELETE', `/api/v1/api-keys/${k.id}`); show(`Key ${k.name} revoked.`); await panels.keys() } }
      : undefined)))
  },
  async webhooks() {
    const { data } = await api('GET', '/api/v1/webhooks?limit=100')
    fill('webhooks', data.map((w) => row([w.name, w.url, w.events.join(', '), w.status], can('webhooks:write')
      ? { label: 'Delete', run: async () => { await api('DELETE', `/api/v1/webhooks/${w.id}`); show(`Webhook ${w.name} deleted.`); await panels.webhooks() } }
      : undefined)))
  },
  async audit() {
    const { data } = await api('GET', '/api/v1/audit-logs?limit=50')
    fill('audit', data.map((e) => row([String(e.seq), when(e.created_at), e.actor_id ? `${e.actor_type} ${e.actor_id}` : e.actor_type, e.action, [e.resource_type, e.resource_id].filter(Boolean).join(' ')])))
  },
  async usage() {
    const report = await api('GET', '/api/v1/usage?timeRange=30d')
    fill('usage', Object.entries(report.limits).map(([name, use]) => row([name.replaceAll('_', ' '), String(use.used ?? '—'), use.limit === null ? 'unlimited' : String(use.limit), use.percent === null ? '—' : use.percent.toFixed(1)])))
    const totals = $('#usage-totals')
    totals.replaceChildren()
    for (const [name, value] of Object.entries(report.totals)) {
      const dt = document.createElement('dt')
      dt.textContent = `${name.replaceAll('_', ' ')} (30 days)`
      const dd = document.createElement('dd')
      dd.textContent = String(value)
      totals.append(dt, dd)
    }
  },
}

async function openTab(name) {
  for (const button of document.querySelectorAll('#tabs button')) button.setAttribute('aria-selected', String(button.dataset.tab === name))
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== name
  await run(panels[name])
}

async function showApp() {
  $('#login-view').hidden = true
  $('#app-view').hidden = false
  $('#logout').hidden = false
  $('#who').textContent = `${session.user.email} · ${session.role ?? 'no role'}`
  for (const element of document.querySelectorAll('[data-permission]')) element.hidden = !can(element.dataset.permission)
  await run(async () => {
    const summary = $('#tenant-summary')
    summary.replaceChildren()
    const tenant = can('settings:read') ? await api('GET', '/api/v1/tenant') : session.tenant
    for (const [label, value] of [['Tenant', tenant.name], ['Slug', tenant.slug], ['Plan', tenant.plan], ['Status', tenant.status]]) {
      if (value === undefined) continue
      const dt = document.createElement('dt')
      dt.textContent = label
      const dd = document.createElement('dd')
      dd.textContent = value
      summary.append(dt, dd)
    }
  })
  const first = [...document.querySelectorAll('#tabs button')].find((button) => !button.hidden)
  if (first) await openTab(first.dataset.tab)
}

function signOut(message) {
  session = null
  sessionStorage.removeItem(SESSION_KEY)
  $('#app-view').hidden = true
  $('#logout').hidden = true
  $('#who').textContent = ''
  $('#login-view').hidden = false
  if (message) show(message)
  else $('#message').hidden = true
}

function bind(formId, submit) {
  const form = $(formId)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const values = Object.fromEntries(new FormData(form))
    run(async () => {
      await submit(values)
      form.reset()
    })
  })
}

function start() {
  bind('#login-form', async ({ email, password, tenant }) => {
    const signedIn = await api('POST', '/api/v1/auth/login', { email, password, ...(tenant ? { tenant } : {}) })
    if (!signedIn.tenant) throw new Error('This account belongs to no tenant: the console is for tenant members (operators use the platform API).')
    session = { token: signedIn.token, user: signedIn.user, tenant: signedIn.tenant, role: signedIn.role, permissions: signedIn.permissions }
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session))
    $('#message').hidden = true
    await showApp()
  })
  bind('#member-form', async ({ email, role }) => {
    const added = await api('POST', '/api/v1/members', { email, role })
    if (added.invitation_token) show(`${email} invited. Send them this one-time invitation token (shown once):`, { secret: added.invitation_token })
    else show(`${email} added as ${role}.`)
    await panels.members()
  })
  bind('#key-form', async ({ name, role }) => {
    const created = await api('POST', '/api/v1/api-keys', { name, role })
    show(`Key ${name} created. Copy it now: it is shown once.`, { secret: created.key })
    await panels.keys()
  })
  bind('#webhook-form', async ({ name, url, events }) => {
    const created = await api('POST', '/api/v1/webhooks', { name, url, events: events.split(',').map((e) => e.trim()).filter(Boolean) })
    show(`Webhook ${name} added. Its signing secret (shown once):`, { secret: created.secret })
    await panels.webhooks()
  })
  for (const button of document.querySelectorAll('#tabs button')) button.addEventListener('click', () => openTab(button.dataset.tab))
  $('#verify-chain').addEventListener('click', () => run(async () => {
    const result = await api('GET', '/api/v1/audit-logs/verify')
    $('#chain-result').textContent = result.ok ? `intact: ${result.checked} entries checked` : `BROKEN at entry ${result.first_bad_seq}: ${result.reason}`
  }))
  $('#logout').addEventListener('click', () => signOut())
  if (session) showApp()
  else signOut()
}

start()
