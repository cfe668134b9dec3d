// A TCP fault proxy between the CLI (or the library) and the test server, to
// make the network misbehave on cue: go silent (blackhole: bytes are accepted
// and dropped, nothing is refused or closed), and do it when the client sends
// a given text (a marker comment in a migration), before or after that text
// reaches the server. Listens on 127.0.0.1 only; every socket is closed by
// close(), and at the latest after `lifetimeMs` (it stops by itself).
import net from 'node:net'

export interface FaultProxy {
  port: number
  /** `url` with host and port replaced by the proxy's. */
  url(url: string): string
  /** From now on every byte in both directions, and every new connection, is dropped silently. */
  blackhole(): void
  /**
   * Blackholes the connection on which a client sends `text`, as soon as it
   * does (other and later connections keep working: a connection that stops
   * answering). 'before': that chunk never reaches the server; 'after': it
   * does, and the server's answer is dropped. Resolves when it happened.
   */
  blackholeOn(text: string, when: 'before' | 'after'): Promise<void>
  /** Connections accepted so far. */
  readonly accepted: number
  close(): Promise<void>
}

export async function startFaultProxy(target: { host: string; port: number }, lifetimeMs = 120_000): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>()
  let silent = false
  let accepted = 0
  const triggers: { text: Buffer; when: 'before' | 'after'; fired: () => void }[] = []

  const track = (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
  }

  const server = net.createServer((client) => {
    accepted++
    track(client)
    // A silent network still completes TCP handshakes (the kernel does that):
    // the client sees an open connection that never answers.
    if (silent) {
      client.on('data', () => {})
      return
    }
    const upstream = net.connect(target.port, target.host)
    track(upstream)
    let frozen = false
    const quiet = () => silent || frozen
    client.on('data', (chunk: Buffer) => {
      if (quiet()) return
      const i = triggers.findIndex((t) => chunk.includes(t.text))
      if (i >= 0) {
        const [t] = triggers.splice(i, 1)
        if (t!.when === 'after') upstream.write(chunk)
        frozen = true
        t!.fired()
        return
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!quiet()) client.write(chunk)
    })
    // Closes travel through only while the network works.
    client.on('close', () => !quiet() && upstream.destroy())
    upstream.on('close', () => !quiet() && client.destroy())
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const port = (server.address() as net.AddressInfo).port

  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    clearTimeout(lifetime)
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => server.close(() => r()))
  }
  const lifetime = setTimeout(() => void close(), lifetimeMs)
  lifetime.unref()
  server.unref()

  return {
    port,
    url(url: string) {
      const u = new URL(url)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    blackhole() {
      silent = true
    },
    blackholeOn(text, when) {
      return new Promise<void>((fired) => triggers.push({ text: Buffer.from(text), when, fired }))
    },
    get accepted() {
      return accepted
    },
    close,
  }
}
