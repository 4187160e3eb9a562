/** Re-renders a component whenever a store changes. */
import { useEffect, useState } from 'preact/hooks';
import type { Store } from './store.js';

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}
