import { MemorySessionLogStore, resolveRetention } from '../../src/log/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('in-memory', {
  durable: false,
  create: async (retention) => ({ store: new MemorySessionLogStore(resolveRetention(retention)) }),
});
