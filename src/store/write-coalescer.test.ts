import { describe, expect, it } from 'vitest';
import type { Queryable } from './db.js';
import { WriteCoalescer, type Transact } from './write-coalescer.js';

/**
 * A fake transaction runner: records BEGIN, each write's label and COMMIT/ROLLBACK in order; a write whose label
 * is in `failing` throws inside the transaction (which then rolls back: its writes are dropped from `committed`).
 */
function fakeDatabase(options: { failing?: Set<string>; unreachable?: boolean; gate?: Promise<void> } = {}) {
  const events: string[] = [];
  const committed: string[] = [];
  const transact: Transact = async (work) => {
    events.push('BEGIN');
    const pending: string[] = [];
    const client = {
      query: async (text: string) => {
        if (options.unreachable) throw new Error('Connection terminated unexpectedly');
        if (options.failing?.has(text)) throw new Error(`refused ${text}`);
        pending.push(text);
        events.push(text);
        return { rows: [], rowCount: 1 };
      },
    } as unknown as Queryable;
    try {
      const result = await work(client);
      if (options.gate) await options.gate;
      events.push('COMMIT');
      committed.push(...pending);
      return result;
    } catch (error) {
      events.push('ROLLBACK');
      throw error;
    }
  };
  return { events, committed, transact };
}

const write = (label: string) => async (client: Queryable): Promise<string> => {
  await client.query(label);
  return `done ${label}`;
};

describe('WriteCoalescer', () => {
  it('puts the writes of one turn in one transaction, in submission order, and settles each after the commit', async () => {
    let open!: () => void;
    const db = fakeDatabase({ gate: new Promise<void>((resolve) => (open = resolve)) });
    const coalescer = new WriteCoalescer(db.transact);
    const settled: string[] = [];
    const writes = ['start a', 'log a', 'finish b'].map((label) => coalescer.submit(write(label)).then((result) => {
      settled.push(result);
      return result;
    }));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // All three ran, but the transaction has not committed: nobody was told anything yet.
    expect(db.events).toEqual(['BEGIN', 'start a', 'log a', 'finish b']);
    expect(settled).toEqual([]);
    open();
    expect(await Promise.all(writes)).toEqual(['done start a', 'done log a', 'done finish b']);
    expect(db.events).toEqual(['BEGIN', 'start a', 'log a', 'finish b', 'COMMIT']);
    expect(coalescer.counts).toEqual({ batches: 1, writes: 3, fallbacks: 0, untransacted: 0 });
  });

  it('gathers the writes submitted while a transaction is in flight into the next one, after it', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const db = fakeDatabase({ gate });
    const coalescer = new WriteCoalescer(db.transact);
    const first = coalescer.submit(write('w1'));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [coalescer.submit(write('w2')), coalescer.submit(write('w3'))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(db.events).toEqual(['BEGIN', 'w1']);
    open();
    await Promise.all([first, ...later]);
    expect(db.events).toEqual(['BEGIN', 'w1', 'COMMIT', 'BEGIN', 'w2', 'w3', 'COMMIT']);
    expect(coalescer.counts.batches).toBe(2);
  });

  it('caps a transaction at maxBatch writes, the rest going in the next', async () => {
    const db = fakeDatabase();
    const coalescer = new WriteCoalescer(db.transact, { maxBatch: 2 });
    await Promise.all(['a', 'b', 'c'].map((label) => coalescer.submit(write(label))));
    expect(db.events).toEqual(['BEGIN', 'a', 'b', 'COMMIT', 'BEGIN', 'c', 'COMMIT']);
  });

  it('fails only the failing write of a batch: the others run again alone and commit', async () => {
    const db = fakeDatabase({ failing: new Set(['bad']) });
    const coalescer = new WriteCoalescer(db.transact);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((label) => coalescer.submit(write(label))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused bad' });
    // The batch rolled back entirely (nothing of it committed), then each write alone.
    expect(db.events).toEqual(['BEGIN', 'a', 'ROLLBACK', 'BEGIN', 'a', 'COMMIT', 'BEGIN', 'ROLLBACK', 'BEGIN', 'c', 'COMMIT']);
    expect(db.committed).toEqual(['a', 'c']);
    expect(coalescer.counts.fallbacks).toBe(1);
  });

  it('fails every write of a batch whose server went away, running none of them again', async () => {
    const settings = { unreachable: true };
    const db = fakeDatabase(settings);
    const coalescer = new WriteCoalescer(db.transact);
    const results = await Promise.allSettled(['a', 'b'].map((label) => coalescer.submit(write(label))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(db.events).toEqual(['BEGIN', 'ROLLBACK']);
    expect(db.committed).toEqual([]);
    // The coalescer goes on with the next batch once the server answers.
    settings.unreachable = false;
    expect(await coalescer.submit(write('after'))).toBe('done after');
    expect(db.committed).toEqual(['after']);
  });

  describe('a lone one-statement write', () => {
    const direct = (events: string[], failing = new Set<string>()): Queryable => ({
      query: async (text: string) => {
        if (failing.has(text)) throw new Error(`refused ${text}`);
        events.push(`direct ${text}`);
        return { rows: [], rowCount: 1 };
      },
    }) as unknown as Queryable;

    it('goes without BEGIN/COMMIT when alone in its batch, and in the transaction when not alone', async () => {
      const db = fakeDatabase();
      const coalescer = new WriteCoalescer(db.transact, { direct: direct(db.events) });
      expect(await coalescer.submit(write('finish a'), { oneStatement: true })).toBe('done finish a');
      expect(db.events).toEqual(['direct finish a']);
      await Promise.all([coalescer.submit(write('start b'), { oneStatement: true }), coalescer.submit(write('log b'), { oneStatement: true })]);
      expect(db.events).toEqual(['direct finish a', 'BEGIN', 'start b', 'log b', 'COMMIT']);
      expect(coalescer.counts).toEqual({ batches: 2, writes: 3, fallbacks: 0, untransacted: 1 });
    });

    it('keeps a transaction for a write of several statements, even alone', async () => {
      const db = fakeDatabase();
      const coalescer = new WriteCoalescer(db.transact, { direct: direct(db.events) });
      await coalescer.submit(write('finish a'));
      expect(db.events).toEqual(['BEGIN', 'finish a', 'COMMIT']);
    });

    it('fails alone with its own error', async () => {
      const db = fakeDatabase();
      const coalescer = new WriteCoalescer(db.transact, { direct: direct(db.events, new Set(['bad'])) });
      await expect(coalescer.submit(write('bad'), { oneStatement: true })).rejects.toThrow('refused bad');
      expect(await coalescer.submit(write('after'), { oneStatement: true })).toBe('done after');
      expect(db.events).toEqual(['direct after']);
    });
  });
});
