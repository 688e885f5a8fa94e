import { describeDatasetStoreBehaviour } from './dataset-store.suite.js';
import { MemoryStore } from './memory-store.js';

describeDatasetStoreBehaviour('MemoryStore', { create: async () => new MemoryStore() });
