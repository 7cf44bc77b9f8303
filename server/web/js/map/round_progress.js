// Keeps today's rounds' progress current on the live map: the live snapshot
// and `round` events may carry a round without its progress (or with the
// stored copy of the last state change), so the rounds shown are read again
// from GET /api/v1/rounds/{id}, which computes progress now, whenever a
// `round` event arrives, after reports during a round, and every minute
// while one is in progress.

import { api } from '../api.js';
import { todayIn } from './panels.js';

const MAX = 40;

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

  // A town or city has hundreds of rounds an evening: then only the ones in
  // progress are read (at most MAX), four requests at a time.
  async refresh() {
    let rounds = this.shown();
    if (rounds.length > MAX) rounds = rounds.filter((r) => r.state === 'in_progress').slice(0, MAX);
    const queue = [...rounds];
    let changed = false;
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const got = await api(`/api/v1/rounds/${encodeURIComponent(r.id)}`).catch(() => null);
        if (!got) continue;
        this.state.rounds.set(got.id, { ...this.state.rounds.get(got.id), ...got });
        changed = true;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    if (changed) this.onUpdate();
  }

  stop() {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
  }
}
