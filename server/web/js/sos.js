// SOS alerts that cannot be missed: a red banner over every page and a
// repeating tone (toggle in the header) until each alert is acknowledged.
// Acknowledging tells the server (POST /api/v1/sos/{id}/ack), whose `sos`
// event (state acknowledged) then clears the banner on every leader's
// dashboard; it is also kept per browser (localStorage), so the banner clears
// at once here and stays cleared when the server refuses (a volunteer's own
// alert) or cannot be reached.

import { api } from './api.js';
import { h } from './dom.js';
import { clock, onLangChange, t } from './i18n.js';

// A bell icon (struck through when muted), drawn here so it needs no emoji font.
function bell(muted) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  const path = (d) => {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    p.setAttribute('fill', 'none');
    p.setAttribute('stroke', 'currentColor');
    p.setAttribute('stroke-width', '2');
    p.setAttribute('stroke-linecap', 'round');
    p.setAttribute('stroke-linejoin', 'round');
    svg.append(p);
  };
  path('M6 16V11a6 6 0 0 1 12 0v5l2 2H4z');
  path('M10 20a2 2 0 0 0 4 0');
  if (muted) path('M3 3l18 18');
  return svg;
}

const ACK_KEY = 'patrol.sos.acked';
const SOUND_KEY = 'patrol.sos.sound';

export class SosAlarm {
  constructor(state, banner, soundButton) {
    this.state = state;
    this.banner = banner;
    this.button = soundButton;
    this.acked = new Set(JSON.parse(localStorage.getItem(ACK_KEY) ?? '[]'));
    this.sound = localStorage.getItem(SOUND_KEY) !== 'off';
    this.audio = null;
    this.onChange = (e) => {
      if (['sos', 'reset', 'poll'].includes(e.detail.kind)) this.render();
    };
    state.addEventListener('change', this.onChange);
    this.offLang = onLangChange(() => this.render());
    this.onToggle = () => {
      this.sound = !this.sound;
      localStorage.setItem(SOUND_KEY, this.sound ? 'on' : 'off');
      if (this.sound) this.unlockAudio();
      this.render();
    };
    soundButton.addEventListener('click', this.onToggle);
    soundButton.hidden = false;
    this.timer = setInterval(() => this.beepIfNeeded(), 2500);
    // browsers start audio only after a user gesture: the first tap anywhere
    this.onGesture = () => this.unlockAudio();
    document.addEventListener('pointerdown', this.onGesture, { once: true });
    this.render();
  }

  stop() {
    clearInterval(this.timer);
    document.removeEventListener('pointerdown', this.onGesture);
    this.state.removeEventListener('change', this.onChange);
    this.button.removeEventListener('click', this.onToggle);
    this.offLang();
    this.banner.hidden = true;
    this.button.hidden = true;
    document.body.classList.remove('has-sos');
  }

  pending() {
    return [...this.state.alerts.values()]
      .filter((a) => a.state === 'open' && !this.acked.has(a.id))
      .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
  }

  acknowledge(id) {
    this.acked.add(id);
    localStorage.setItem(ACK_KEY, JSON.stringify([...this.acked].slice(-500)));
    this.render();
    api(`/api/v1/sos/${encodeURIComponent(id)}/ack`, { method: 'POST' })
      .then((a) => { if (a?.id) this.state.alerts.set(a.id, { ...this.state.alerts.get(a.id), ...a }); })
      .catch(() => { /* kept acknowledged in this browser */ });
  }

  render() {
    this.button.replaceChildren(bell(!this.sound));
    this.button.classList.toggle('muted-sound', !this.sound);
    this.button.title = this.sound ? t('sound.on_title') : t('sound.off_title');
    this.button.setAttribute('aria-pressed', String(this.sound));
    const list = this.pending();
    this.banner.hidden = list.length === 0;
    document.body.classList.toggle('has-sos', list.length > 0);
    if (list.length === 0) {
      this.banner.replaceChildren();
      return;
    }
    const a = list[0];
    const who = a.name || this.state.userName(a.user_id) || a.user_id;
    this.banner.replaceChildren(
      h('strong', { class: 'sos-title' }, `🆘 ${t('sos.title')}`),
      h('span', { class: 'sos-text' }, t('sos.from', { name: who, time: clock(a.raised_at) }),
        a.note ? ` · ${a.note}` : '',
        list.length > 1 ? ` · ${t('sos.more', { n: list.length - 1 })}` : ''),
      a.position ? h('button', {
        type: 'button', class: 'sos-locate',
        onclick: () => document.dispatchEvent(new CustomEvent('patrol:locate', { detail: a.position })),
      }, t('sos.locate')) : null,
      h('button', { type: 'button', class: 'sos-ack', onclick: () => this.acknowledge(a.id) }, t('sos.ack')),
    );
    this.banner.dataset.alertId = a.id;
  }

  unlockAudio() {
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === 'suspended') this.audio.resume();
    } catch { /* no audio */ }
  }

  beepIfNeeded() {
    if (!this.sound || this.pending().length === 0) return;
    this.unlockAudio();
    const ac = this.audio;
    if (!ac || ac.state !== 'running') return;
    const t0 = ac.currentTime;
    for (const [i, f] of [[0, 880], [1, 660], [2, 880]]) {
      const o = ac.createOscillator();
      const g = ac.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t0 + i * 0.25);
      g.gain.exponentialRampToValueAtTime(0.3, t0 + i * 0.25 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.25 + 0.22);
      o.connect(g).connect(ac.destination);
      o.start(t0 + i * 0.25);
      o.stop(t0 + i * 0.25 + 0.24);
    }
  }
}
