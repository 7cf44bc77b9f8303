// Keeps today's rounds' progress current on the live map: the live snapshot
// and `round` events may carry a round without its progress (or with the
// stored copy of the last state change), so the rounds shown are read again
// from GET /api/v1/rounds/{id}, which computes progress now, whenever a
// `round` event arrives, after reports during a round, and every minute
// while one is in progress.

import { api } from '../api.js';
import { todayIn } from './panels.js';

export class RoundProgress {
  constructor(state, onUpdate) {
    this.state = state;
    this.onUpdate = onUpdate;
    this.timer = null;
    this.ticker = setInterval(() => {
      if (this.shown().some((r) => r.state === 'in_progress')) this.refresh();
    }, 60000);
  }

  // Today's rounds and the ones still going.
  shown() {
    const today = todayIn();
    return [...this.state.rounds.values()].filter((r) => r.date === today || r.state === 'in_progress');
  }

  // Reads the rounds again after delayMs (calls in between are merged).
  schedule(delayMs = 1000) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), delayMs);
  }

  async refresh() {
    const rounds = this.shown();
    const got = await Promise.all(rounds.map((r) => api(`/api/v1/rounds/${encodeURIComponent(r.id)}`).catch(() => null)));
    let changed = false;
    for (const r of got) {
      if (!r) continue;
      this.state.rounds.set(r.id, { ...this.state.rounds.get(r.id), ...r });
      changed = true;
    }
    if (changed) this.onUpdate();
  }

  stop() {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
  }
}
