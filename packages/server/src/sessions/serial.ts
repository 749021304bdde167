/**
 * A FIFO of async tasks that never overlap. Each session runs its appends and joins through one,
 * which is what makes the replay -> live handoff atomic: no event can be appended between the moment
 * a join reads the head and the moment the joining socket starts receiving live frames.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.pending += 1;
    const result = this.tail.then(task);
    // The chain continues whether the task failed or not; the caller sees the failure.
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }
}
