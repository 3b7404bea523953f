/* lazycard.js -- the life cycle every dashboard card shares: fetch only while on screen, fetch again
 * when the data on the server changed, draw again when a setting changed, and never let an old
 * answer overwrite a newer one.
 *
 * The tab tells a card setVisible(bool) (its IntersectionObserver, cardgroups.js), invalidate() (a
 * write touched the card's data) and requestDraw() (a setting changed). A card off screen only
 * remembers what it owes: `stale` (fetch before drawing) or `needsDraw`; it pays when it scrolls in.
 * Because a visible card loads at once, a visible card is never stale once a call returns, so
 * requestDraw draws at once exactly when the card is on screen.
 *
 * Every load() takes a new sequence number; an answer (or error) that comes back after a newer load
 * started, or after destroy(), is dropped. A subclass implements fetchData() -> promise of its data,
 * receive(data) that keeps it, and draw(). Pure: no DOM, so node --test drives it with a fake card. */

export class LazyCard {
  constructor() {
    this.loadSeq = 0;
    this.fetching = false;
    this.visible = false;
    this.stale = true;      // data must be fetched again before it is drawn
    this.needsDraw = false; // a setting changed while the card was off screen
    this.error = null;      // message of the last failed fetch, null once one succeeds
  }

  /** A fetch in flight (subclasses that also wait while drawing widen this). */
  get loading() {
    return this.fetching;
  }

  /** Nothing in flight and nothing owed: what the tests wait for through window.__vizd.idle(). */
  isIdle() {
    return !this.loading && !(this.visible && this.stale);
  }

  /** What the browser tests read of the life cycle. */
  lifecycle() {
    return { visible: this.visible, stale: this.stale, loading: this.loading, needsDraw: this.needsDraw };
  }

  setVisible(visible) {
    this.visible = visible;
    if (!visible) return;
    if (this.stale) this.load();
    else if (this.needsDraw) this.draw();
  }

  /** The data on the server changed: fetch again (now if on screen, else once it scrolls in). */
  invalidate() {
    this.stale = true;
    if (this.visible) this.load();
  }

  /** The settings changed: draw again from the data we have (now if on screen, else once it scrolls in). */
  requestDraw() {
    if (this.visible && !this.stale) this.draw();
    else this.needsDraw = true;
  }

  /** Any answer still in flight will be dropped, so nothing counts as fetching any more. */
  dropPendingLoad() {
    this.loadSeq++;
    this.fetching = false;
  }

  async load() {
    this.stale = false;
    const seq = ++this.loadSeq;
    this.fetching = true;
    try {
      const data = await this.fetchData();
      if (seq !== this.loadSeq) return;
      this.receive(data);
      this.error = null;
    } catch (error) {
      if (seq !== this.loadSeq) return;
      this.error = error.message;
    } finally {
      // A superseded load leaves the flag to the newer one, still in flight.
      if (seq === this.loadSeq) this.fetching = false;
    }
    this.draw();
  }

  destroy() {
    this.dropPendingLoad();
  }
}
