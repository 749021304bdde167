/** What the heap orders: anything with a seq. */
export interface HasSeq {
  readonly seq: number;
}

/** Min-heap of slots by seq: the compaction order of finished streams. */
export class SlotHeap<T extends HasSeq> {
  private items: T[] = [];
  get size(): number {
    return this.items.length;
  }
  push(slot: T): void {
    const items = this.items;
    items.push(slot);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.seq <= items[i]!.seq) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left]!.seq < items[smallest]!.seq) smallest = left;
        if (right < items.length && items[right]!.seq < items[smallest]!.seq) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
