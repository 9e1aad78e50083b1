/** A promise's outcome held for later: `unwrap` returns the value or throws the error then, not before. */
export interface Settled<T> {
  unwrap(): T;
}

/**
 * Awaits `promise` without letting its failure escape yet: for a read sent together with another
 * (one round trip) whose result, or error, matters only once the other says so.
 */
export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    const value = await promise;
    return { unwrap: () => value };
  } catch (err) {
    return {
      unwrap: () => {
        throw err;
      },
    };
  }
}
