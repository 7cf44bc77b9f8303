// The live feed client (DESIGN.md "Wire contract v1, part 2"):
//   server: {"type":"hello",…}
//   client: {"type":"subscribe","org_unit_id":"21","since":SEQ?}
//   server: {"type":"snapshot","org_unit_id","seq","sites","positions","hazards","rounds","reset"?,
//            "alerts"?,"presence"?}  or, for a `since` the server still has, {"type":"subscribed",…}
//           {"type":"event","seq","kind":"position|inspection|hazard|round|presence|sos","data"}
//           {"type":"error","error":{"code","field","message"}}
// After a drop it reconnects (backoff with jitter) and subscribes with the last
// seq applied, so the server sends what was missed (or a snapshot with reset).
// A server that says hello but never answers a subscribe (an older patrold)
// gets the same data by polling the REST routes instead.

const SNAPSHOT_WAIT_MS = 8000;
const BACKOFF_MAX_MS = 30000;

export class LiveClient {
  // opts: {token(): string, orgUnitId, lastSeq(): number|null,
  //        onSnapshot(msg), onEvent(ev), onState(state, detail), onPoll(): Promise}
  // states: connecting, live, polling, offline, forbidden, unauthorized
  constructor(opts) {
    this.o = opts;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pollTimer = null;
    this.stopped = false;
    this.state = 'idle';
    this.onOnline = () => this.reconnectSoon(0);
    this.onVisible = () => {
      if (document.visibilityState === 'visible' && (!this.ws || this.ws.readyState > 1) && this.state !== 'polling') {
        this.reconnectSoon(0);
      }
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.timer);
    clearInterval(this.pollTimer);
    if (this.ws) {
      this.ws.onclose = null;
      try { this.ws.close(1000, 'bye'); } catch { /* closed */ }
    }
    this.ws = null;
  }

  setState(s, detail) {
    this.state = s;
    this.o.onState?.(s, detail);
  }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/v1/live?access_token=${encodeURIComponent(this.o.token())}`;
    if (this.state !== 'polling') {
      this.setState(this.state === 'live' || this.state === 'offline' ? 'offline' : 'connecting');
    }
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.reconnectSoon();
      return;
    }
    this.ws = ws;
    let gotSnapshot = false;
    let waitTimer = null;
    const subscribe = () => {
      const msg = { type: 'subscribe', org_unit_id: String(this.o.orgUnitId) };
      const since = this.o.lastSeq();
      if (since !== null && since !== undefined) msg.since = since;
      ws.send(JSON.stringify(msg));
      waitTimer = setTimeout(() => {
        if (!gotSnapshot && this.ws === ws) this.startPolling(ws);
      }, SNAPSHOT_WAIT_MS);
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      switch (msg.type) {
        case 'hello':
          subscribe();
          break;
        case 'snapshot':
          gotSnapshot = true;
          clearTimeout(waitTimer);
          this.attempt = 0;
          this.stopPolling();
          this.o.onSnapshot(msg);
          this.setState('live');
          break;
        case 'subscribed':  // a `since` subscription accepted: the missed events follow
        case 'event':
          if (!gotSnapshot) {
            // events after `since` come first on a resumed subscription
            gotSnapshot = true;
            clearTimeout(waitTimer);
            this.attempt = 0;
            this.stopPolling();
            this.setState('live');
          }
          if (msg.type === 'event') this.o.onEvent(msg);
          break;
        case 'error':
          if (msg.error?.code === 'forbidden') this.setState('forbidden', msg.error);
          else this.o.onError?.(msg.error);
          break;
        default:
          break;  // a message type added later: ignore
      }
    };
    ws.onclose = (ev) => {
      clearTimeout(waitTimer);
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      if (this.state === 'forbidden') return;
      // A revoked or expired token closes the socket (or refuses the upgrade,
      // seen here as 1006): ask the REST layer, whose 401 signs out.
      this.o.onAuthClose?.(ev);
      if (this.state !== 'polling') this.setState('offline', { code: ev.code, reason: ev.reason });
      this.reconnectSoon();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  reconnectSoon(delay) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const d = delay ?? Math.min(BACKOFF_MAX_MS, 1000 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 10);
    this.timer = setTimeout(() => this.connect(), d);
  }

  // The server answers no subscribe: poll the REST routes every 10 s, and try
  // the socket again now and then in case the server was upgraded.
  startPolling(ws) {
    try { ws.close(1000, 'polling'); } catch { /* closed */ }
    this.attempt = 6;  // next socket try in about a minute
    if (this.pollTimer) return;
    this.setState('polling');
    const tick = () => this.o.onPoll?.().catch(() => {});
    tick();
    this.pollTimer = setInterval(tick, 10000);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
